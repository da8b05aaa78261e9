"""Staff pages for the yearly round in Excel: download the actuals template for a department,
upload it filled in, see what will change, then confirm. Department heads work only on their
own items' KPIs; DX staff on all of them."""

from pathlib import Path

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST, require_safe

from kpis.importing import ImportRefused
from kpis.models import Kpi
from kpis.template_workbook import render_template, template_rows
from pdca.forms import FormsWorkbookForm, TemplateForm, UploadForm
from pdca.services.imports import import_actuals
from pdca.uploads import store, upload_dir
from priorities import permissions
from priorities.models import PriorityItem
from shizuoka_dx.fiscal import short_fiscal_year
from shizuoka_dx.spreadsheets import xlsx_response

SESSION_KEY = "actuals_upload"


def allowed_codes(user) -> set[str] | None:
    if permissions.is_dx_staff(user):
        return None
    return set(Kpi.objects.for_user(user).values_list("code", flat=True))


def page_context(user, template_form: TemplateForm) -> dict:
    """The three forms of the Excel page: input file, upload, Form ①/② workbook."""
    items = PriorityItem.objects.for_user(user).select_related("pillar").in_plan_order()
    return {
        "template_form": template_form,
        "upload_form": UploadForm(),
        "forms_form": FormsWorkbookForm(items=list(items), auto_id="forms_%s"),
    }


def _stored(request) -> tuple[Path, str, dict] | None:
    pending = request.session.get(SESSION_KEY)
    if not pending:
        return None
    path = upload_dir() / pending["file"]
    return (path, pending["name"], pending.get("seen", {})) if path.exists() else None


def _forget(request):
    stored = _stored(request)
    if stored:
        stored[0].unlink(missing_ok=True)
    request.session.pop(SESSION_KEY, None)


def _require_importer(user) -> None:
    if not (permissions.is_dx_staff(user) or permissions.is_department_head(user)):
        raise PermissionDenied


@login_required
@require_safe
def actuals_import(request):
    _require_importer(request.user)
    context = page_context(request.user, TemplateForm(user=request.user))
    return render(request, "kpis/import.html", context)


@login_required
@require_POST
def actuals_preview(request):
    """Check the uploaded file without saving; keep it, and the versions shown, for confirming."""
    _require_importer(request.user)
    context = page_context(request.user, TemplateForm(user=request.user))
    upload_form = UploadForm(request.POST, request.FILES)
    context["upload_form"] = upload_form
    if not upload_form.is_valid():
        return render(request, "kpis/import.html", context, status=400)
    _forget(request)
    upload = upload_form.cleaned_data["file"]
    path, token = store(upload)
    context["file_name"] = upload.name
    kept = False
    try:
        result = import_actuals(
            path=path,
            user=request.user,
            dry_run=True,
            allowed=allowed_codes(request.user),
            source=upload.name,
        )
        request.session[SESSION_KEY] = {"file": token, "name": upload.name, "seen": result.seen}
        kept = True
    except ImportRefused as exc:
        context["errors"] = exc.errors
        return render(request, "kpis/import.html", context, status=400)
    finally:
        if not kept:  # refused, or failed for any reason: nothing waits for a confirmation
            path.unlink(missing_ok=True)
    context["preview"] = result
    context["upload_token"] = token
    return render(request, "kpis/import.html", context)


@login_required
@require_POST
def actuals_confirm(request):
    """Save what the preview showed; a row someone changed since then refuses the whole file."""
    _require_importer(request.user)
    stored = _stored(request)
    if stored is None:
        messages.error(request, "確認した内容が見つかりません。もう一度ファイルを選んでください。")
        return redirect("staff:actuals_import")
    path, name, seen = stored
    shown = request.POST.get("upload")
    if shown is not None and shown != path.name:
        # Confirmed from a page that showed another file's preview (a second tab previewed
        # this one since): saving it would save what that page never showed.
        context = page_context(request.user, TemplateForm(user=request.user))
        context["file_name"] = "この画面で確認したファイル"
        context["errors"] = [
            f"そのあと別の画面で {name} を確認したため、この画面の内容は取り込みませんでした。"
        ]
        return render(request, "kpis/import.html", context, status=400)
    try:
        result = import_actuals(
            path=path,
            user=request.user,
            allowed=allowed_codes(request.user),
            source=name,
            seen=seen,
        )
    except ImportRefused as exc:
        context = page_context(request.user, TemplateForm(user=request.user))
        context.update({"errors": exc.errors, "file_name": name})
        return render(request, "kpis/import.html", context, status=400)
    finally:
        _forget(request)
    messages.success(request, f"{name} を{result.summary()}")
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
