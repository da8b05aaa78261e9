"""The yearly update round's pages for DX staff: the overview of who still owes what (per
department and per item, sortable and filterable with plain links, CSV and xlsx), opening a round,
and a round's page (due dates, a department's own dates, extending with a reason, closing, the
history and the e-mails sent). Department heads see their part on /staff/ (「わたしの作業」).
"""

from dataclasses import dataclass

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header, urlencode
from django.views.decorators.http import require_http_methods, require_POST, require_safe
from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill

from pdca import rounds
from pdca.forms import DepartmentDatesForm, RoundExtendForm, RoundOpenForm
from pdca.models import BackgroundJob, EmailMessageRecord, Round, RoundDeadline
from pdca.services import mail
from pdca.services import round as services
from pdca.tasks import start
from pdca.views.jobs import respond
from priorities import permissions
from priorities.models import Department
from shizuoka_dx.deadlines import days_left, default_due_dates, format_date
from shizuoka_dx.fiscal import fiscal_year_of, format_fiscal_year, short_fiscal_year
from shizuoka_dx.history import entries
from shizuoka_dx.spreadsheets import csv_bytes, xlsx_cell, xlsx_response


def _dx_only(user) -> None:
    if not permissions.can_manage_round(user):
        raise PermissionDenied


# ---- the overview ------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    value: object  # Row -> sortable value
    descending_first: bool = False


COLUMNS = [
    Column("name", "名前", lambda r: r.key),
    Column("missing", "未入力の実績", lambda r: r.missing, True),
    Column("unfinished", "未承認の評価", lambda r: r.unfinished_evaluations, True),
    Column("overdue", "超過日数", lambda r: r.overdue, True),
    Column("actuals_due", "実績の期限", lambda r: r.actuals_due),
    Column("evaluations_due", "評価の期限", lambda r: r.evaluations_due),
    Column(
        "reminder",
        "最後のお知らせ",
        lambda r: r.last_reminder.timestamp() if r.last_reminder else 0,
        True,
    ),
]
BY_KEY = {c.key: c for c in COLUMNS}
SHOW = {
    "all": ("すべて", lambda r: True),
    "open": ("未完了のみ", lambda r: not r.done),
    "overdue": ("期限超過のみ", lambda r: r.overdue > 0),
    "done": ("完了のみ", lambda r: r.done),
}
VIEWS = {"departments": "所管課ごと", "items": "重点項目ごと"}


@dataclass
class Query:
    """What the overview shows, read from the address (so it works without JavaScript and a
    sorted, filtered list can be bookmarked or downloaded as it is)."""

    fiscal_year: int | None
    view: str
    sort: str
    order: str
    show: str
    department: int | None

    @classmethod
    def from_request(cls, request):
        get = request.GET
        sort = get.get("sort") if get.get("sort") in BY_KEY else "overdue"
        order = get.get("order") if get.get("order") in ("asc", "desc") else None
        if order is None:
            order = "desc" if BY_KEY[sort].descending_first else "asc"
        try:
            department = int(get.get("department") or 0) or None
        except ValueError:
            department = None
        try:
            year = int(get.get("fy") or 0) or None
        except ValueError:
            year = None
        return cls(
            fiscal_year=year,
            view=get.get("view") if get.get("view") in VIEWS else "departments",
            sort=sort,
            order=order,
            show=get.get("show") if get.get("show") in SHOW else "all",
            department=department,
        )

    def params(self, **changes) -> str:
        values = {
            "fy": self.fiscal_year,
            "view": self.view,
            "sort": self.sort,
            "order": self.order,
            "show": self.show,
            "department": self.department or "",
        }
        values.update(changes)
        return urlencode({k: v for k, v in values.items() if v not in ("", None)})


def _round_for(query: Query) -> Round | None:
    if query.fiscal_year:
        round_ = Round.objects.filter(fiscal_year=query.fiscal_year).first()
        if round_ is None:
            raise Http404(f"{format_fiscal_year(query.fiscal_year)}の更新ラウンドはありません。")
        return round_
    round_ = rounds.current_round()
    if round_ is not None:  # links and downloads name the year they show
        query.fiscal_year = round_.fiscal_year
    return round_


def overview_rows(state, query: Query) -> list:
    rows = (
        state.department_rows()
        if query.view == "departments"
        else state.item_rows(query.department)
    )
    rows = [row for row in rows if SHOW[query.show][1](row)]
    column = BY_KEY[query.sort]
    rows.sort(key=lambda r: r.key)  # ties stay in name order
    rows.sort(key=column.value, reverse=query.order == "desc")
    return rows


def _headers(query: Query) -> list[dict]:
    headers = []
    for column in COLUMNS:
        current = column.key == query.sort
        next_order = (
            ("asc" if query.order == "desc" else "desc")
            if current
            else ("desc" if column.descending_first else "asc")
        )
        label = column.label
        if column.key == "name":
            label = "所管課" if query.view == "departments" else "重点項目"
        headers.append(
            {
                "key": column.key,
                "label": label,
                "url": "?" + query.params(sort=column.key, order=next_order),
                "aria_sort": ("ascending" if query.order == "asc" else "descending")
                if current
                else "",
                "arrow": ("▲" if query.order == "asc" else "▼") if current else "",
            }
        )
    return headers


@login_required
@require_safe
def overview(request):
    _dx_only(request.user)
    query = Query.from_request(request)
    round_ = _round_for(query)
    if round_ is None:
        return render(request, "staff/round_overview.html", {"round": None})
    state = rounds.round_state(round_, today=rounds.today())
    rows = overview_rows(state, query)
    totals = _totals(state)
    context = {
        "round": round_,
        "state": state,
        "rows": rows,
        "query": query,
        "headers": _headers(query),
        "views": [
            (key, label, "?" + query.params(view=key, department=""))
            for key, label in VIEWS.items()
        ],
        "shows": SHOW.items(),
        "states": rounds.EVALUATION_STATES,
        "totals": totals,
        "rounds": Round.objects.order_by("-fiscal_year"),
        "department_choices": Department.objects.filter(items__isnull=False)
        .distinct()
        .order_by("name"),
        "csv_url": reverse("staff:round_csv") + "?" + query.params(),
        "xlsx_url": reverse("staff:round_xlsx") + "?" + query.params(),
        "unreachable": [h for h in state.heads.values() if not h.reachable],
        "today": state.today,
    }
    return render(request, "staff/round_overview.html", context)


def _totals(state) -> dict:
    items = state.items
    return {
        "items": len(items),
        "done": sum(item.done for item in items),
        "kpis": len({code for item in items for code, _ in item.kpis}),
        "missing": len({code for item in items for code, _ in item.missing}),
        "approved": sum(item.evaluation_done for item in items),
    }


# ---- downloads: one function yields rows, one writes the file -------------------------------


def export_rows(state, rows, query: Query):
    """The overview as a table: a header row, then one row per department or item."""
    name = "所管課" if query.view == "departments" else "重点項目"
    header = [
        name,
        *(["所管課"] if query.view == "items" else []),
        "状態",
        "重点項目数",
        "KPI数",
        "未入力の実績",
        *[label for _, label in rounds.EVALUATION_STATES],
        "実績の期限",
        "実績の超過日数",
        "評価の期限",
        "評価の超過日数",
        "課長",
        "メールアドレス未登録の課長",
        "最後のお知らせ",
    ]
    yield header
    for row in rows:
        yield [
            row.title,
            *([row.departments] if query.view == "items" else []),
            row.state_label,
            row.items,
            row.kpis,
            row.missing,
            *[row.states[key] for key, _ in rounds.EVALUATION_STATES],
            row.actuals_due.isoformat(),
            row.actuals_overdue,
            row.evaluations_due.isoformat(),
            row.evaluations_overdue,
            "、".join(row.heads),
            "、".join(row.unreachable),
            timezone.localtime(row.last_reminder).strftime("%Y-%m-%d %H:%M")
            if row.last_reminder
            else "",
        ]


def _file_name(round_, query, suffix) -> str:
    view = "所管課別" if query.view == "departments" else "重点項目別"
    return f"更新ラウンド_{short_fiscal_year(round_.fiscal_year)}_{view}_{rounds.today():%Y%m%d}.{suffix}"


def _download_data(request):
    _dx_only(request.user)
    query = Query.from_request(request)
    round_ = _round_for(query)
    if round_ is None:
        raise Http404("更新ラウンドはまだ開始していません。")
    state = rounds.round_state(round_, today=rounds.today())
    return round_, query, list(export_rows(state, overview_rows(state, query), query))


@login_required
@require_safe
def overview_csv(request):
    round_, query, table = _download_data(request)
    response = HttpResponse(csv_bytes(table[0], table[1:]), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = content_disposition_header(
        True, _file_name(round_, query, "csv")
    )
    return response


@login_required
@require_safe
def overview_xlsx(request):
    round_, query, table = _download_data(request)
    book = Workbook()
    sheet = book.active
    sheet.title = "所管課別" if query.view == "departments" else "重点項目別"
    sheet.append(
        [
            f"{format_fiscal_year(round_.fiscal_year)} 更新ラウンドの状況（{format_date(rounds.today())}現在）"
        ]
    )
    sheet["A1"].font = Font(bold=True, size=12)
    sheet.append([xlsx_cell(value) for value in table[0]])
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    red = Font(color="C00000", bold=True)
    overdue_columns = [i for i, label in enumerate(table[0]) if "超過日数" in label]
    for values in table[1:]:
        sheet.append([xlsx_cell(value) for value in values])
        for index in overdue_columns:
            if values[index]:
                sheet.cell(row=sheet.max_row, column=index + 1).font = red
    sheet.freeze_panes = "B3"
    sheet.column_dimensions["A"].width = 36
    for cell in sheet[2]:
        cell.fill = PatternFill("solid", fgColor="DDE6F7")
    return xlsx_response(book, _file_name(round_, query, "xlsx"))


# ---- opening a round and its page ---------------------------------------------------------


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def round_open(request):
    _dx_only(request.user)
    year = fiscal_year_of(rounds.today()) - 1  # in spring, the year that has just ended
    actuals_due, evaluations_due = default_due_dates(year)
    form = RoundOpenForm(
        request.POST or None,
        initial={
            "fiscal_year": format_fiscal_year(year, western=False),
            "actuals_due": actuals_due,
            "evaluations_due": evaluations_due,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            round_ = services.round_open(user=request.user, **form.cleaned_data)
        except services.RoundRefused as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request,
                f"{format_fiscal_year(round_.fiscal_year)}の更新ラウンドを開始しました。"
                "所管課長の「わたしの作業」に表示され、期限が近づくとお知らせのメールが送られます。",
            )
            return redirect("staff:round_detail", fiscal_year=round_.fiscal_year)
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "staff/round_open.html",
        {"form": form, "rounds": Round.objects.order_by("-fiscal_year")},
        status=status,
    )


def _round_or_404(fiscal_year) -> Round:
    round_ = Round.objects.filter(fiscal_year=fiscal_year).first()
    if round_ is None:
        raise Http404(f"{format_fiscal_year(fiscal_year)}の更新ラウンドはありません。")
    return round_


def _history(round_):
    records = [
        *Round.history.filter(id=round_.pk).select_related("history_user"),
        *RoundDeadline.history.filter(round_id=round_.pk).select_related("history_user"),
    ]
    names = dict(Department.objects.values_list("pk", "name"))

    def describe(record):
        if record.instance_type is RoundDeadline:
            return f"{names.get(record.department_id, '削除された課')}の期限"
        return "更新ラウンド"

    return entries(records, describe=describe)[:50]


def _detail(request, round_, *, extend_form=None, department_form=None, status=200):
    deadlines = RoundDeadline.objects.filter(round=round_).select_related("department")
    context = {
        "round": round_,
        "deadlines": deadlines.order_by("department__name"),
        "extend_form": extend_form
        or RoundExtendForm(
            initial={"actuals_due": round_.actuals_due, "evaluations_due": round_.evaluations_due},
            auto_id="extend_%s",
        ),
        "department_form": department_form or DepartmentDatesForm(auto_id="dept_%s"),
        "history": _history(round_),
        "history_caption": "この更新ラウンドの変更（開始・期限の変更・課の期限・終了）",
        "emails": EmailMessageRecord.objects.filter(round=round_)
        .select_related("recipient")
        .order_by("-created_at")[:100],
        "reminders": mail.send_reminders(
            today=rounds.today(), dry_run=True, fiscal_year=round_.fiscal_year
        ).reminders
        if round_.is_open
        else [],
        "today": rounds.today(),
        "reminder_days": "・".join(str(d) for d in settings.REMINDER_DAYS),
        "overdue_every": settings.REMINDER_OVERDUE_EVERY,
        "actuals_left": days_left(round_.actuals_due, rounds.today()),
        "evaluations_left": days_left(round_.evaluations_due, rounds.today()),
    }
    return render(request, "staff/round_detail.html", context, status=status)


@login_required
@require_safe
def round_detail(request, fiscal_year):
    _dx_only(request.user)
    return _detail(request, _round_or_404(fiscal_year))


@login_required
@require_POST
def round_extend(request, fiscal_year):
    _dx_only(request.user)
    round_ = _round_or_404(fiscal_year)
    form = RoundExtendForm(request.POST, auto_id="extend_%s")
    if form.is_valid():
        try:
            services.round_extend(round=round_, user=request.user, **form.cleaned_data)
        except services.RoundRefused as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, "期限を変更しました。変更は履歴に残ります。")
            return redirect("staff:round_detail", fiscal_year=fiscal_year)
    return _detail(request, round_, extend_form=form, status=400)


@login_required
@require_POST
def round_department(request, fiscal_year):
    _dx_only(request.user)
    round_ = _round_or_404(fiscal_year)
    form = DepartmentDatesForm(request.POST, auto_id="dept_%s")
    if form.is_valid():
        data = form.cleaned_data
        try:
            result = services.round_set_department_dates(round=round_, user=request.user, **data)
        except services.RoundRefused as exc:
            form.add_error(None, str(exc))
        else:
            name = data["department"].name
            messages.success(
                request,
                f"{name}の期限を設定しました。"
                if result
                else f"{name}の独自の期限を取り消しました。",
            )
            return redirect("staff:round_detail", fiscal_year=fiscal_year)
    return _detail(request, round_, department_form=form, status=400)


@login_required
@require_POST
def round_close(request, fiscal_year):
    _dx_only(request.user)
    round_ = _round_or_404(fiscal_year)
    reopen = request.POST.get("reopen") == "1"
    try:
        services.round_close(round=round_, user=request.user, reopen=reopen)
    except services.RoundRefused as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            "更新ラウンドを再開しました。"
            if reopen
            else "更新ラウンドを終了しました。お知らせのメールは送られなくなります。",
        )
    return redirect("staff:round_detail", fiscal_year=fiscal_year)


@login_required
@require_POST
def round_remind(request, fiscal_year):
    """Today's reminders of this round, now (what the daily send_reminders would send), by the
    background worker; an e-mail already sent today is not sent again."""
    _dx_only(request.user)
    round_ = _round_or_404(fiscal_year)
    if not round_.is_open:
        messages.error(request, "終了した更新ラウンドのお知らせは送れません。")
        return redirect("staff:round_detail", fiscal_year=fiscal_year)
    params = {"fiscal_year": fiscal_year, "today": rounds.today().isoformat()}
    return respond(request, start(BackgroundJob.Kind.REMINDERS, user=request.user, params=params))


def reminders_finished(request, job: BackgroundJob, *, at_once: bool = False):
    _dx_only(request.user)
    result = job.result
    if job.status == BackgroundJob.Status.DONE:
        text = f"期限のお知らせを {result['sent']} 人に送りました。"
        if result["already"]:
            text += f"今日すでに送っていた {result['already']} 人には送っていません。"
        if result["unreachable"]:
            text += f"メールアドレスのない {result['unreachable']} 人には送れませんでした。"
        if result["failed"]:
            text += f"{result['failed']} 人への送信に失敗しました（次の実行でもう一度送ります）。"
        messages.success(request, text)
    else:
        messages.error(request, "お知らせを送れませんでした。" + " ".join(result.get("errors", [])))
    return redirect("staff:round_detail", fiscal_year=job.params["fiscal_year"])
