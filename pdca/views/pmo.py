"""The PMO register (plan §5: 伴走支援・横展開): DX staff list, filter, export, enter and correct
support cases; the public sees a summary per fiscal year beside the plan's printed figure."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_safe
from openpyxl import Workbook

from pdca.forms import SupportCaseForm
from pdca.models import SupportCase
from pdca.selectors import cycle_years
from pdca.services.support_cases import SupportCaseRefused, support_case_save
from priorities import permissions
from priorities.models import Department, Plan
from shizuoka_dx.fiscal import fiscal_year_of
from shizuoka_dx.numbers import query_number
from shizuoka_dx.spreadsheets import csv_bytes, xlsx_cell, xlsx_response

HEADER = ["件名", "支援した課", "分野", "支援の形", "開始日", "終了日", "段階", "関連する重点項目",
          "備考", "全国地方公共団体コード"]  # fmt: skip


def _int(text) -> int | None:
    return query_number(text)


def printed_counts() -> dict[int, dict]:
    """The plan's printed figures of support cases by fiscal year (33件 for R6)."""
    plan = Plan.objects.order_by("pk").first()
    figures = (plan.printed_figures if plan else {}).get("support_cases", [])
    return {figure["fiscal_year"]: figure for figure in figures}


def summary_by_year(cases: list[SupportCase]) -> list[dict]:
    """Per fiscal year: the registered cases active that year, by category and by mode, beside
    the printed figure where the plan prints one."""
    printed = printed_counts()
    years = sorted(set(cycle_years()) | set(printed))
    rows = []
    for year in years:
        active = [case for case in cases if case.active_in(year)]
        rows.append(
            {
                "fiscal_year": year,
                "registered": len(active),
                "printed": printed.get(year),
                "by_category": [
                    (label, sum(case.category == value for case in active))
                    for value, label in SupportCase.Category.choices
                ],
                "by_mode": [
                    (label, sum(case.mode == value for case in active))
                    for value, label in SupportCase.Mode.choices
                ],
            }
        )
    return rows


def _rows(cases):
    from django.conf import settings

    for case in cases:
        yield [
            case.title,
            case.department.name,
            case.get_category_display(),
            case.get_mode_display(),
            case.started_on.isoformat(),
            case.ended_on.isoformat() if case.ended_on else "",
            case.get_stage_display(),
            case.item.code if case.item else "",
            case.note,
            settings.OPENDATA_MUNICIPALITY_CODE,
        ]


def _staff_only(user) -> None:
    if not permissions.is_dx_staff(user):
        raise PermissionDenied


@login_required
@require_safe
def staff_register(request):
    _staff_only(request.user)
    cases = SupportCase.objects.select_related("department", "item").order_by("-started_on", "pk")
    selected = {
        "year": _int(request.GET.get("year")),
        "category": request.GET.get("category") or "",
        "mode": request.GET.get("mode") or "",
        "stage": request.GET.get("stage") or "",
        "department": _int(request.GET.get("department")),
    }
    for name in ("category", "mode", "stage"):
        if selected[name]:
            cases = cases.filter(**{name: selected[name]})
    if selected["department"]:
        cases = cases.filter(department_id=selected["department"])
    cases = list(cases)
    if selected["year"]:
        cases = [case for case in cases if case.active_in(selected["year"])]
    export = request.GET.get("format")
    if export == "csv":
        response = HttpResponse(
            csv_bytes(HEADER, _rows(cases)), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = 'attachment; filename="support_cases.csv"'
        return response
    if export == "xlsx":
        book = Workbook()
        sheet = book.active
        sheet.title = "支援案件"
        sheet.append(HEADER)
        for row in _rows(cases):
            sheet.append([xlsx_cell(value) for value in row])
        return xlsx_response(book, "PMO支援案件.xlsx")
    return render(
        request,
        "staff/pmo.html",
        {
            "cases": cases,
            "selected": selected,
            "years": list(cycle_years()),
            "categories": SupportCase.Category.choices,
            "modes": SupportCase.Mode.choices,
            "stages": SupportCase.Stage.choices,
            "departments": Department.objects.order_by("name"),
            "summary": summary_by_year(list(SupportCase.objects.all())),
            "query": request.GET.urlencode(),
        },
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def staff_case(request, pk=None):
    _staff_only(request.user)
    case = get_object_or_404(SupportCase, pk=pk) if pk else None
    initial = {"version": case.version} if case else {"started_on": timezone.localdate()}
    form = SupportCaseForm(request.POST or None, instance=case, initial=initial)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            values = {name: form.cleaned_data[name] for name in form.Meta.fields}
            try:
                saved = support_case_save(
                    values=values,
                    user=request.user,
                    case=case,
                    seen=form.cleaned_data["version"],
                    reason="支援案件の画面で入力",
                )
            except SupportCaseRefused as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, f"支援案件「{saved.title}」を保存しました。")
                return redirect("staff:pmo")
        status = 400
    return render(request, "staff/pmo_case.html", {"form": form, "case": case}, status=status)


@require_safe
def public_summary(request):
    """Registered cases per year (no names of people; cases are the city's own work)."""
    rows = summary_by_year(list(SupportCase.objects.all()))
    return render(
        request,
        "public/pmo.html",
        {"rows": rows, "this_year": fiscal_year_of(timezone.localdate())},
    )
