"""Staff pages for the yearly round in Excel: download the actuals template for a department,
upload it filled in, see what will change, then confirm. Department heads work only on their
own items' KPIs; DX staff on all of them."""

import secrets
from pathlib import Path

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_safe

from kpis.importing import MAX_FILE_BYTES, ImportRefused, import_actuals
from kpis.models import Kpi
from kpis.template_workbook import render_template, template_rows
from pdca.views.staff import FormsWorkbookForm
from priorities import permissions
from priorities.models import Department, PriorityItem
from shizuoka_dx.fiscal import FiscalYearError, parse_fiscal_year, short_fiscal_year
from shizuoka_dx.spreadsheets import xlsx_response

SESSION_KEY = "actuals_upload"


def departments_for(user):
    """The departments a user may make templates for: all for DX staff, their own for heads."""
    if permissions.is_dx_staff(user):
        return Department.objects.order_by("name")
    if permissions.is_department_head(user):
        return Department.objects.filter(pk__in=permissions.department_ids(user)).order_by("name")
    return Department.objects.none()


def allowed_codes(user) -> set[str] | None:
    if permissions.is_dx_staff(user):
        return None
    return set(Kpi.objects.for_user(user).values_list("code", flat=True))


class TemplateForm(forms.Form):
    fiscal_year = forms.CharField(label="年度", help_text="例: 2025、R7、令和7年度")
    department = forms.ModelChoiceField(
        label="所管課", queryset=Department.objects.none(), required=False, empty_label="すべての課"
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = departments_for(user)
        if not permissions.is_dx_staff(user):
            self.fields["department"].required = True
            self.fields["department"].empty_label = None

    def clean_fiscal_year(self):
        try:
            return parse_fiscal_year(self.cleaned_data["fiscal_year"])
        except FiscalYearError as exc:
            raise forms.ValidationError(str(exc)) from None


class UploadForm(forms.Form):
    file = forms.FileField(
        label="実績を入力したファイル",
        help_text="Excel（.xlsx）または CSV（.csv）、5MBまで。",
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_FILE_BYTES:
            raise forms.ValidationError("ファイルが大きすぎます。5MB以下にしてください。")
        if Path(upload.name).suffix.lower() not in {".xlsx", ".csv"}:
            raise forms.ValidationError("読み込めるのは .xlsx と .csv のファイルです。")
        return upload


def page_context(user, template_form: TemplateForm) -> dict:
    """The three forms of the Excel page: input file, upload, Form ①/② workbook."""
    items = PriorityItem.objects.for_user(user).select_related("pillar").in_plan_order()
    return {
        "template_form": template_form,
        "upload_form": UploadForm(),
        "forms_form": FormsWorkbookForm(items=list(items), auto_id="forms_%s"),
    }


def _upload_dir() -> Path:
    folder = Path(settings.UPLOAD_DIR)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _stored(request) -> tuple[Path, str] | None:
    pending = request.session.get(SESSION_KEY)
    if not pending:
        return None
    path = _upload_dir() / pending["file"]
    return (path, pending["name"]) if path.exists() else None


def _forget(request):
    stored = _stored(request)
    if stored:
        stored[0].unlink(missing_ok=True)
    request.session.pop(SESSION_KEY, None)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def actuals_import(request):
    if not (permissions.is_dx_staff(request.user) or permissions.is_department_head(request.user)):
        raise PermissionDenied
    context = page_context(request.user, TemplateForm(user=request.user))
    status = 200
    action = request.POST.get("action")
    if request.method == "POST" and action == "preview":
        upload_form = UploadForm(request.POST, request.FILES)
        context["upload_form"] = upload_form
        if upload_form.is_valid():
            _forget(request)
            upload = upload_form.cleaned_data["file"]
            token = secrets.token_hex(16) + Path(upload.name).suffix.lower()
            path = _upload_dir() / token
            with path.open("wb") as target:
                for chunk in upload.chunks():
                    target.write(chunk)
            try:
                result = import_actuals(
                    path=path,
                    user=request.user,
                    dry_run=True,
                    allowed=allowed_codes(request.user),
                    source=upload.name,
                )
            except ImportRefused as exc:
                path.unlink(missing_ok=True)
                context["errors"] = exc.errors
                context["file_name"] = upload.name
                status = 400
            else:
                request.session[SESSION_KEY] = {"file": token, "name": upload.name}
                context["preview"] = result
                context["file_name"] = upload.name
        else:
            status = 400
    elif request.method == "POST" and action == "confirm":
        stored = _stored(request)
        if stored is None:
            messages.error(
                request, "確認した内容が見つかりません。もう一度ファイルを選んでください。"
            )
            return redirect("staff:actuals_import")
        path, name = stored
        try:
            result = import_actuals(
                path=path, user=request.user, allowed=allowed_codes(request.user), source=name
            )
        except ImportRefused as exc:
            context["errors"] = exc.errors
            context["file_name"] = name
            status = 400
        else:
            messages.success(request, f"{name} を{result.summary()}")
        finally:
            _forget(request)
        if status == 200:
            return redirect("staff:actuals_import")
    elif request.method == "POST" and action == "cancel":
        _forget(request)
        messages.info(request, "取り込みを取りやめました。何も保存していません。")
        return redirect("staff:actuals_import")
    elif request.method == "POST":
        return HttpResponse(status=400)
    return render(request, "kpis/import.html", context, status=status)


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
