"""Staff pages for items: the dashboard, an item with its live data, its yearly evaluation
(draft → submitted → approved), and publishing a fiscal year. Login required; every object is
fetched through ``for_user`` so another department's item is simply not found.

Publishing and the Form ①/② workbook are done by a background worker (pdca/tasks.py): the page
checks what it can at once, then shows the work's status page (pdca/views/jobs.py).
"""

from types import SimpleNamespace

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from kpis.calculations import GRADES
from kpis.models import Actual
from kpis.selectors import plan_items, years_with_actuals
from pdca import rounds, workflow
from pdca.dashboard import build_dashboard
from pdca.forms import CommentForm, EvaluationForm, FormsWorkbookForm, PublishForm
from pdca.models import BackgroundJob, Evaluation, PublishedSnapshot, Round, StepStatus
from pdca.pages import item_from_models
from pdca.selectors import check_cycle_year, contains_demo_data, cycle_years
from pdca.services import evaluations as services
from pdca.services import publication
from pdca.tasks import start
from pdca.views.jobs import respond, status_context
from priorities import permissions
from priorities.models import (
    Department,
    Initiative,
    NarrativeBullet,
    Pillar,
    PriorityItem,
    RoadmapEntry,
)
from priorities.selectors import roadmap_bounds
from shizuoka_dx.fiscal import FiscalYearError, format_fiscal_year, parse_fiscal_year
from shizuoka_dx.history import entries
from shizuoka_dx.spreadsheets import xlsx_file_response
from shizuoka_dx.templatetags.display import person
from systems.selectors import item_systems


def item_for(user, code: str, queryset=None) -> PriorityItem:
    """The item ``code`` if the user may see it (404 otherwise), fetched from ``queryset``."""
    if queryset is None:
        queryset = PriorityItem.objects.prefetch_related("departments")
    visible = PriorityItem.objects.for_user(user).values("pk")
    item = queryset.filter(pk__in=visible, code=code).first()
    if item is None:
        raise Http404(f"担当する重点項目に「{code}」はありません。")
    return item


def _int_or_none(value):
    try:
        return int(value) if value else None
    except (TypeError, ValueError):
        return None


@login_required
@require_safe
def dashboard(request):
    year = None
    year_error = ""
    if request.GET.get("fy"):
        try:
            year = check_cycle_year(parse_fiscal_year(request.GET["fy"]))
        except FiscalYearError as exc:
            year_error = str(exc)
    grade = request.GET.get("grade") if request.GET.get("grade") in GRADES else None
    board = build_dashboard(
        user=request.user,
        fiscal_year=year,
        pillar=_int_or_none(request.GET.get("pillar")),
        department=_int_or_none(request.GET.get("department")),
        grade=grade,
    )
    context = {
        **_my_work(request.user),
        "dashboard": board,
        "year_error": year_error,
        "pillar_choices": Pillar.objects.order_by("number"),
        "department_choices": Department.objects.order_by("name"),
        "grade_choices": GRADES,
        "selected": {
            "pillar": _int_or_none(request.GET.get("pillar")),
            "department": _int_or_none(request.GET.get("department")),
            "grade": grade,
        },
        "can_publish": permissions.can_publish(request.user),
        "can_approve_revisions": permissions.is_head_of_dx(request.user),
        "is_dx_staff": permissions.is_dx_staff(request.user),
    }
    return render(request, "staff/dashboard.html", context)


def _my_work(user) -> dict:
    """「わたしの作業」, shown first: a head's tasks in each open update round (usually one),
    with due dates, days left and one link each; for DX staff, the latest round's state with a
    link to the overview."""
    context = {
        "round": rounds.current_round(),
        "my_rounds": [],
        "can_manage_round": permissions.can_manage_round(user),
    }
    if permissions.is_department_head(user):
        for round_ in Round.objects.filter(status=Round.Status.OPEN).order_by("-fiscal_year"):
            work = rounds.round_state(round_, today=rounds.today()).work_for(user)
            context["my_rounds"].append(
                {"round": round_, "work": work, "overdue": sum(task.overdue for task in work)}
            )
    return context


def _item_history(item: PriorityItem):
    """Changes to the item's Form ① text and its evaluations, newest first."""
    records = [
        *PriorityItem.history.filter(id=item.pk).select_related("history_user"),
        *NarrativeBullet.history.filter(item_id=item.pk).select_related("history_user"),
        *Initiative.history.filter(item_id=item.pk).select_related("history_user"),
        *Evaluation.history.filter(item_id=item.pk).select_related("history_user"),
    ]

    def describe(record):
        name = record.instance_type._meta.verbose_name
        if hasattr(record, "fiscal_year") and record.instance_type is Evaluation:
            return f"{format_fiscal_year(record.fiscal_year)}の{name}"
        return str(name)

    return entries(records, describe=describe)[:50]


@login_required
@require_safe
def item_detail(request, code):
    item = item_for(request.user, code, queryset=plan_items())
    page = item_from_models(
        item,
        systems=item_systems(item),
        entry_years=roadmap_bounds(),
        actual_years=years_with_actuals(),
    )
    evaluations = item.evaluations.select_related("last_edited_by", "approved_by")
    context = {
        "item": page,
        "staff": True,
        "page_year": page.fiscal_year,
        "page_year_source": "live",
        "contains_demo_data": contains_demo_data(),
        "evaluations": evaluations.order_by("-fiscal_year"),
        # The plan's years that have no evaluation yet (those that have one are linked above).
        "evaluation_years": [
            year for year in cycle_years() if year not in {e.fiscal_year for e in evaluations}
        ],
        "history": _item_history(item),
        "can_edit": permissions.can_edit_item(request.user, item),
    }
    return render(request, "priorities/item.html", context)


def evaluation_for(user, code: str, fiscal_year: int) -> tuple[PriorityItem, Evaluation | None]:
    """The item (404 if the user may not see it) and its evaluation for a year of the plan (404
    for a year the plan is not evaluated for)."""
    item = item_for(user, code)
    try:
        check_cycle_year(fiscal_year)
    except FiscalYearError as exc:
        raise Http404(str(exc)) from None
    return item, Evaluation.objects.filter(item=item, fiscal_year=fiscal_year).first()


def _approver_names(evaluation: Evaluation) -> list[str]:
    heads = (
        get_user_model()
        .objects.filter(is_active=True, departments__in=evaluation.item.departments.all())
        .distinct()
        .prefetch_related("groups", "departments")
        .order_by("last_name", "username")
    )
    return [person(user) for user in workflow.approvers(evaluation, heads)]


def roadmap_steps(item, fiscal_year: int) -> list:
    """The item's roadmap steps that run in ``fiscal_year`` (or whose years are not known),
    each with a label: 「取組1「…」：…」."""
    steps = []
    entries = RoadmapEntry.objects.filter(initiative__item=item).select_related("initiative")
    for entry in entries.order_by("initiative__number", "order"):
        if entry.fiscal_year is None or entry.covers(fiscal_year):
            steps.append((entry, f"取組{entry.initiative.number}：{entry.text}"))
    return steps


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def evaluation_detail(request, code, fiscal_year):
    item, evaluation = evaluation_for(request.user, code, fiscal_year)
    if evaluation is None:
        evaluation = Evaluation(item=item, fiscal_year=fiscal_year)
        evaluation.quantitative = services.quantitative_draft(item, fiscal_year)
    actions = workflow.allowed(request.user, evaluation)
    action = request.POST.get("action", "save")
    steps = roadmap_steps(item, fiscal_year)
    form = EvaluationForm(
        request.POST or None,
        instance=evaluation,
        initial={"version": evaluation.version},
        steps=steps,
    )
    status = 200
    if request.method == "POST":
        if action not in ("save", "submit", "regenerate"):
            raise PermissionDenied("この操作はこの画面からはできません。画面を開き直してください。")
        if workflow.Action.EDIT not in actions and (
            action == "regenerate" or not permissions.can_edit_item(request.user, item)
        ):
            raise PermissionDenied(
                "この評価はいま編集できません。所管課の課長か、DX推進課の職員だけが、下書きの間に編集できます。"
            )
        # Someone who may edit the item but whose page is out of date (another head submitted
        # it meanwhile) goes on to the service: it says why, and the form keeps their text.
        if action == "regenerate":
            data = request.POST.copy()
            data["quantitative"] = services.quantitative_draft(item, fiscal_year)
            form = EvaluationForm(data, instance=evaluation, steps=steps)
            messages.info(
                request,
                "定量の分析を、いまの実績から作り直しました。保存するまで反映されません。",
            )
        elif form.is_valid():
            try:
                if evaluation.pk is None:
                    evaluation = services.evaluation_open(
                        item=item, fiscal_year=fiscal_year, user=request.user
                    )
                services.evaluation_save(
                    evaluation=evaluation,
                    user=request.user,
                    version=form.cleaned_data["version"],
                    fields={
                        **{name: form.cleaned_data[name] for name in services.EDITABLE_FIELDS},
                        "roadmap_statuses": form.roadmap_statuses(),
                    },
                    submit=action == "submit",
                )
            except services.WorkflowError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(
                    request,
                    "評価を提出しました。所管課のほかの課長の承認を待っています。"
                    if action == "submit"
                    else "評価を保存しました。",
                )
                return redirect("staff:evaluation", code=code, fiscal_year=fiscal_year)
            status = 400
        else:
            status = 400
    approve_refusal = (
        workflow.refusal(request.user, evaluation, workflow.Action.APPROVE)
        if evaluation.status == Evaluation.Status.SUBMITTED
        else None
    )
    context = {
        "item": item,
        "evaluation": evaluation,
        "fiscal_year": fiscal_year,
        "form": form,
        "step_rows": [
            (
                label,
                StepStatus(saved["status"]).label if saved.get("status") else "未記入",
                saved.get("note", ""),
            )
            for entry, label in steps
            for saved in [evaluation.roadmap_statuses.get(str(entry.pk), {})]
        ],
        "editable": workflow.Action.EDIT in actions or status == 400,
        "comment_form": CommentForm(initial={"version": evaluation.version}),
        "can_approve": workflow.Action.APPROVE in actions,
        "can_return": bool(actions & {workflow.Action.RETURN, workflow.Action.REOPEN}),
        "approve_refusal": approve_refusal,
        "approvers": _approver_names(evaluation)
        if evaluation.status == Evaluation.Status.SUBMITTED
        else [],
    }
    return render(request, "priorities/evaluation.html", context, status=status)


def _transition(request, code, fiscal_year, action):
    _item, evaluation = evaluation_for(request.user, code, fiscal_year)
    if evaluation is None:
        raise Http404("この年度の評価はまだ作成されていません。")
    try:
        version = int(request.POST.get("version", ""))
    except ValueError:
        version = -1
    try:
        action(evaluation, version)
    except services.WorkflowError as exc:
        messages.error(request, str(exc))
    return redirect("staff:evaluation", code=code, fiscal_year=fiscal_year)


@login_required
@require_POST
def evaluation_approve(request, code, fiscal_year):
    def approve(evaluation, version):
        services.evaluation_approve(evaluation=evaluation, user=request.user, version=version)
        messages.success(request, "評価を承認しました。この年度の実績は変更できなくなりました。")

    return _transition(request, code, fiscal_year, approve)


@login_required
@require_POST
def evaluation_return(request, code, fiscal_year):
    def send_back(evaluation, version):
        services.evaluation_return(
            evaluation=evaluation,
            user=request.user,
            version=version,
            comment=request.POST.get("comment", ""),
        )
        messages.success(request, "評価を下書きに戻しました。")

    return _transition(request, code, fiscal_year, send_back)


def _blocked(form: PublishForm, exc: publication.PublishBlocked) -> list:
    form.add_error(None, f"{exc} 承認を待つか、理由を記入して公表してください。")
    return exc.unapproved


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def publish(request):
    if not permissions.can_publish(request.user):
        raise PermissionDenied("進捗の公表は、DX推進課の職員だけができます。")
    form = PublishForm(request.POST or None)
    blocked = []
    status = 200
    if request.method == "POST":
        if form.is_valid():
            year = form.cleaned_data["fiscal_year"]
            reason = form.cleaned_data["force_reason"]
            try:
                waiting = publication.check_publishable(year, reason)
            except publication.PublishBlocked as exc:
                blocked = _blocked(form, exc)
            else:
                correction = form.cleaned_data["correction_reason"]
                if not form.cleaned_data["confirmed"]:
                    return _publish_confirmation(request, year, reason, waiting, correction)
                params = {
                    "fiscal_year": year,
                    "force_reason": reason,
                    "correction_reason": correction,
                }
                return respond(
                    request, start(BackgroundJob.Kind.PUBLISH, user=request.user, params=params)
                )
        status = 400
    return _publish_page(request, form, blocked, status)


def _publish_confirmation(request, year: int, reason: str, waiting, correction: str = ""):
    """What publishing ``year`` will show, before anything is published."""
    waiting_codes = {item.code for item in waiting}
    items = list(PriorityItem.objects.in_plan_order())
    latest = (
        PublishedSnapshot.objects.filter(fiscal_year=year)
        .defer("document")
        .order_by("-version")
        .first()
    )
    context = {
        "year": year,
        "force_reason": reason.strip() if waiting else "",
        "published_items": [item for item in items if item.code not in waiting_codes],
        "waiting": waiting,
        "actual_count": Actual.objects.filter(fiscal_year=year)
        .filter(
            kpi__placements__initiative__item__in=[i for i in items if i.code not in waiting_codes]
        )
        .distinct()
        .count(),
        "version": (latest.version + 1) if latest else 1,
        "correction_reason": correction.strip(),
        "form": PublishForm(
            initial={"fiscal_year": str(year), "force_reason": reason, "confirmed": True}
        ),
    }
    return render(request, "priorities/publish_confirm.html", context)


def publish_finished(request, job: BackgroundJob, *, at_once: bool = False):
    if not permissions.can_publish(request.user):
        raise PermissionDenied("進捗の公表は、DX推進課の職員だけができます。")
    year = job.params["fiscal_year"]
    if job.status == BackgroundJob.Status.DONE:
        messages.success(request, f"{format_fiscal_year(year)}の進捗を公表しました。")
        return redirect("staff:publish")
    form = PublishForm(
        {"fiscal_year": str(year), "force_reason": job.params.get("force_reason", "")}
    )
    form.is_valid()
    blocked = []
    if "blocked" in job.result:
        items = [SimpleNamespace(**item) for item in job.result["blocked"]]
        blocked = _blocked(form, publication.PublishBlocked(items))
    for error in job.result.get("errors", []):
        form.add_error(None, error)
    return _publish_page(request, form, blocked, 400)


def _publish_page(request, form, blocked, status):
    evaluations = Evaluation.objects.select_related("item").order_by(
        "-fiscal_year", "item__pillar__number", "item__order"
    )
    years = sorted({e.fiscal_year for e in evaluations}, reverse=True)
    items = list(PriorityItem.objects.in_plan_order())
    status_by = {(e.item_id, e.fiscal_year): e for e in evaluations}
    readiness = [
        {
            "year": year,
            "rows": [(item, status_by.get((item.pk, year))) for item in items],
            "approved": sum(
                1
                for item in items
                if (e := status_by.get((item.pk, year))) is not None and e.locks_actuals
            ),
        }
        for year in years
    ]
    context = {
        "form": form,
        "blocked": blocked,
        "readiness": readiness,
        "item_count": len(items),
        "snapshots": PublishedSnapshot.objects.select_related("published_by").defer("document"),
    }
    return render(request, "priorities/publish.html", context, status=status)


@login_required
@require_safe
def forms_workbook_download(request):
    """Form ① and Form ② in the plan's own layout, for the items the user may see: written in
    the background, then downloaded from the status page."""
    items = list(
        PriorityItem.objects.for_user(request.user).select_related("pillar").in_plan_order()
    )
    if not items:
        raise PermissionDenied(
            "様式①・②のファイルを作れる重点項目がありません。担当する重点項目がないためです。"
        )
    form = FormsWorkbookForm(request.GET, items=items, auto_id="forms_%s")
    if not form.is_valid():
        messages.error(request, "年度または範囲の指定が正しくありません。")
        return redirect("staff:actuals_import")
    params = {"fiscal_year": form.cleaned_data["fiscal_year"], "scope": form.cleaned_data["scope"]}
    return respond(
        request, start(BackgroundJob.Kind.FORMS_WORKBOOK, user=request.user, params=params)
    )


def forms_workbook_finished(request, job: BackgroundJob, *, at_once: bool = False):
    """The file itself when written at once; otherwise the status page with its link."""
    if job.status == BackgroundJob.Status.DONE and at_once:
        content = BackgroundJob.objects.values_list("file", flat=True).get(pk=job.pk)
        return xlsx_file_response(bytes(content), job.file_name)
    status = 200 if job.status == BackgroundJob.Status.DONE else 400
    return render(request, "staff/job.html", status_context(job), status=status)
