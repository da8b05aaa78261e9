"""Staff pages for the yearly round in Excel: download the actuals template for a department,
upload it filled in, see what will change, then confirm. Department heads work only on their
own items' KPIs; DX staff on all of them.

The uploaded file waits in the database (pdca/uploads.py), the session names it. A file of
``BACKGROUND_IMPORT_KB`` or more is checked, and later saved, by a background worker
(pdca/tasks.py) while a status page shows the progress; once done, that page shows what a
small file shows at once.
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST, require_safe

from kpis.importing import ImportRefused
from kpis.template_workbook import render_template, template_rows
from pdca import uploads
from pdca.forms import FormsWorkbookForm, TemplateForm, UploadForm
from pdca.models import BackgroundJob, PendingUpload
from pdca.services.imports import GONE, confirm_upload, preview_upload
from pdca.tasks import start
from pdca.views.jobs import respond
from priorities import permissions
from priorities.models import PriorityItem
from shizuoka_dx.fiscal import short_fiscal_year
from shizuoka_dx.spreadsheets import xlsx_response

SESSION_KEY = "actuals_upload"
Kind = BackgroundJob.Kind


def page_context(user, template_form: TemplateForm) -> dict:
    """The three forms of the Excel page: input file, upload, Form ①/② workbook."""
    items = PriorityItem.objects.for_user(user).select_related("pillar").in_plan_order()
    return {
        "template_form": template_form,
        "upload_form": UploadForm(),
        "forms_form": FormsWorkbookForm(items=list(items), auto_id="forms_%s"),
    }


def in_background(upload: PendingUpload) -> bool:
    return upload.size >= settings.BACKGROUND_IMPORT_KB * 1024


def _stored(request) -> PendingUpload | None:
    pending = request.session.get(SESSION_KEY)
    if not pending:
        return None
    return uploads.pending(pending["file"], user=request.user)


def _forget(request):
    pending = request.session.pop(SESSION_KEY, None)
    if pending:
        uploads.discard(pending["file"])


def _require_importer(user) -> None:
    if not (permissions.is_dx_staff(user) or permissions.is_department_head(user)):
        raise PermissionDenied("Excelでの入力は、所管課の課長とDX推進課の職員だけができます。")


def _page(request, status=200, **extra):
    context = page_context(request.user, TemplateForm(user=request.user))
    context.update(extra)
    return render(request, "kpis/import.html", context, status=status)


def _refused(request, errors, file_name):
    return _page(request, 400, errors=errors, file_name=file_name)


def _preview(request, preview: dict):
    return _page(
        request, file_name=preview["file_name"], preview=preview, upload_token=preview["upload"]
    )


@login_required
@require_safe
def actuals_import(request):
    _require_importer(request.user)
    return _page(request)


@login_required
@require_POST
def actuals_preview(request):
    """Check the uploaded file without saving; keep it, and the versions shown, for confirming."""
    _require_importer(request.user)
    upload_form = UploadForm(request.POST, request.FILES)
    if not upload_form.is_valid():
        return _page(request, 400, upload_form=upload_form)
    _forget(request)
    upload = uploads.store(upload_form.cleaned_data["file"], user=request.user)
    request.session[SESSION_KEY] = {"file": upload.token, "name": upload.name}
    if in_background(upload):
        params = {"upload": upload.token, "file_name": upload.name}
        return respond(request, start(Kind.IMPORT_PREVIEW, user=request.user, params=params))
    try:
        preview = preview_upload(upload, user=request.user)
    except ImportRefused as exc:
        request.session.pop(SESSION_KEY, None)
        return _refused(request, exc.errors, upload.name)
    return _preview(request, preview)


def preview_finished(request, job: BackgroundJob, *, at_once: bool = False):
    if job.status == BackgroundJob.Status.REFUSED:
        pending = request.session.get(SESSION_KEY)
        if pending and pending["file"] == job.params["upload"]:
            request.session.pop(SESSION_KEY, None)
        return _refused(request, job.result["errors"], job.result.get("file_name", ""))
    return _preview(request, job.result)


@login_required
@require_POST
def actuals_confirm(request):
    """Save what the preview showed; a row someone changed since then refuses the whole file."""
    _require_importer(request.user)
    upload = _stored(request)
    if upload is None or not upload.previewed:
        messages.error(request, GONE)
        return redirect("staff:actuals_import")
    shown = request.POST.get("upload")
    if shown is not None and shown != upload.token:
        # Confirmed from a page that showed another file's preview (a second tab previewed
        # this one since): saving it would save what that page never showed.
        return _refused(
            request,
            [
                f"そのあと別の画面で {upload.name} を確認したため、この画面の内容は取り込みませんでした。"
            ],
            "この画面で確認したファイル",
        )
    if in_background(upload):
        request.session.pop(SESSION_KEY, None)  # the job removes the file once done
        params = {"upload": upload.token, "file_name": upload.name}
        return respond(request, start(Kind.IMPORT_CONFIRM, user=request.user, params=params))
    try:
        message = confirm_upload(upload, user=request.user)
    except ImportRefused as exc:
        return _refused(request, exc.errors, upload.name)
    finally:
        _forget(request)
    messages.success(request, message)
    return redirect("staff:actuals_import")


def confirm_finished(request, job: BackgroundJob, *, at_once: bool = False):
    if job.status == BackgroundJob.Status.REFUSED:
        return _refused(request, job.result["errors"], job.result.get("file_name", ""))
    messages.success(request, job.result["message"])
    return redirect("staff:actuals_import")


@login_required
@require_POST
def actuals_cancel(request):
    _require_importer(request.user)
    _forget(request)
    messages.info(request, "取り込みを取りやめました。何も保存していません。")
    return redirect("staff:actuals_import")


@login_required
@require_safe
def actuals_template_download(request):
    form = TemplateForm(request.GET or None, user=request.user)
    if not form.is_valid():
        return render(request, "kpis/import.html", page_context(request.user, form), status=400)
    year = form.cleaned_data["fiscal_year"]
    department = form.cleaned_data["department"]
    name = department.name if department else None
    rows = template_rows(fiscal_year=year, department=name)
    book = render_template(rows, fiscal_year=year, department=name)
    return xlsx_response(book, f"実績_{short_fiscal_year(year)}_{name or '全課'}.xlsx")
