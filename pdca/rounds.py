"""Who still owes what in a yearly update round (reads only; the writes are in
pdca/services/round.py and pdca/services/mail.py).

One function, ``round_state``, reads everything a round's pages and e-mails need in a fixed
number of queries, whatever the plan's size: the items and their departments, the KPIs each item
prints (those expected for the round's year), that year's actuals and evaluations, the
departments' own due dates, the department heads and the last reminder each was sent. From it:

- ``work_for(user)``: a department head's 「わたしの作業」 (missing actuals, evaluations to write
  and submit, submissions waiting for their approval), each with its due date and one link;
- ``department_rows`` / ``item_rows``: the DX overview, per department and per item;
- the reminder e-mails (pdca/services/mail.py) list exactly ``work_for(head)``.

An item owned by several departments is owed by each; its due date for a person is the earliest
of their departments' dates, and the item's own (per-item table) the earliest of all.
"""

from dataclasses import dataclass, field
from datetime import date

from django.contrib.auth import get_user_model
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone

from kpis.models import Actual, Kpi, KpiPlacement
from pdca import workflow
from pdca.dashboard import code_links
from pdca.models import EmailMessageRecord, Evaluation, Round, RoundDeadline
from priorities.models import Department, PriorityItem
from priorities.permissions import DEPARTMENT_HEAD_GROUP, department_ids, is_department_head
from shizuoka_dx.deadlines import days_left, describe_days_left

Status = Evaluation.Status
NOT_WRITTEN = "none"  # no evaluation yet
# The evaluation columns of the overview, in the order of the cycle.
EVALUATION_STATES = [
    (NOT_WRITTEN, "未作成"),
    (Status.DRAFT, "下書き"),
    (Status.SUBMITTED, "承認待ち"),
    (Status.APPROVED, "承認済み"),
    (Status.PUBLISHED, "公表済み"),
]
DONE_STATES = {Status.APPROVED, Status.PUBLISHED}


@dataclass
class Task:
    """One thing a head has to do, with its due date and the one link that does it."""

    kind: str  # "actual", "evaluation" or "approval"
    label: str  # 「実績を入力する」
    item_code: str
    item_title: str
    what: str  # the KPI, or the evaluation
    due: date
    days_left: int
    url: str
    note: str = ""

    @property
    def overdue(self) -> bool:
        return self.days_left < 0

    @property
    def when(self) -> str:
        return describe_days_left(self.days_left)


@dataclass
class Head:
    pk: int
    name: str
    email: str
    department_ids: set[int] = field(default_factory=set)

    @property
    def reachable(self) -> bool:
        return bool(self.email)


@dataclass
class ItemState:
    pk: int
    code: str
    title: str
    department_ids: list[int]
    kpis: list[tuple[str, str]]  # expected KPIs (code, name), printed order
    missing: list[tuple[str, str]]  # of those, the ones without an actual
    evaluation: object = None  # Evaluation or None

    @property
    def evaluation_state(self) -> str:
        return self.evaluation.status if self.evaluation else NOT_WRITTEN

    @property
    def evaluation_done(self) -> bool:
        return self.evaluation_state in DONE_STATES

    @property
    def done(self) -> bool:
        return not self.missing and self.evaluation_done


@dataclass
class Row:
    """One row of the overview (a department or an item): counts and how late it is."""

    key: str  # the department's name or the item's code (sorting, CSV)
    title: str
    departments: str
    actuals_due: date
    evaluations_due: date
    own_dates: bool
    items: int
    kpis: int
    missing: int
    states: dict
    actuals_overdue: int  # days past the actuals' due date with actuals still missing (0: none)
    evaluations_overdue: int
    actuals_left: int
    evaluations_left: int
    heads: list[str] = field(default_factory=list)
    unreachable: list[str] = field(default_factory=list)
    last_reminder: object = None
    url: str = ""

    @property
    def unfinished_evaluations(self) -> int:
        return sum(n for state, n in self.states.items() if state not in DONE_STATES)

    @property
    def overdue(self) -> int:
        return max(self.actuals_overdue, self.evaluations_overdue)

    @property
    def done(self) -> bool:
        return self.missing == 0 and self.unfinished_evaluations == 0

    @property
    def state_label(self) -> str:
        if self.done:
            return "完了"
        if self.overdue:
            return f"期限超過（{self.overdue}日）"
        return "未完了"


class RoundState:
    """Everything about one round on one day (``today``), read once."""

    def __init__(self, round_: Round, *, today: date):
        self.round = round_
        self.today = today
        year = round_.fiscal_year
        self.fiscal_year = year
        self.departments = dict(Department.objects.values_list("pk", "name"))
        self.deadlines = {
            d.department_id: d for d in RoundDeadline.objects.filter(round=round_).order_by("pk")
        }
        items = list(
            PriorityItem.objects.order_by("pillar__number", "order").values_list(
                "pk", "code", "title"
            )
        )
        owners: dict[int, list[int]] = {}
        through = PriorityItem.departments.through.objects.order_by("department__name")
        for item_id, department_id in through.values_list("priorityitem_id", "department_id"):
            owners.setdefault(item_id, []).append(department_id)
        expected = {
            pk: (code, name)
            for pk, code, name, base, target in Kpi.objects.values_list(
                "pk", "code", "name", "baseline_fiscal_year", "target_fiscal_year"
            )
            if _window_holds(base, target, year)
        }
        entered = set(
            Actual.objects.filter(fiscal_year=year, kpi_id__in=list(expected)).values_list(
                "kpi_id", flat=True
            )
        )
        printed: dict[int, list[int]] = {}
        placements = KpiPlacement.objects.order_by(
            "initiative__item_id", "initiative__number", "order"
        ).values_list("initiative__item_id", "kpi_id")
        for item_id, kpi_id in placements:
            kpis = printed.setdefault(item_id, [])
            if kpi_id in expected and kpi_id not in kpis:
                kpis.append(kpi_id)
        evaluations = {
            e.item_id: e
            for e in Evaluation.objects.filter(fiscal_year=year)
            .select_related("item", "submitted_by")
            .prefetch_related("item__departments")
        }
        self.items = [
            ItemState(
                pk=pk,
                code=code,
                title=title,
                department_ids=owners.get(pk, []),
                kpis=[expected[k] for k in printed.get(pk, [])],
                missing=[expected[k] for k in printed.get(pk, []) if k not in entered],
                evaluation=evaluations.get(pk),
            )
            for pk, code, title in items
        ]
        self.heads = self._heads()
        self.last_reminders = dict(
            EmailMessageRecord.objects.filter(
                round=round_,
                kind=EmailMessageRecord.Kind.REMINDER,
                status=EmailMessageRecord.Status.SENT,
            )
            .values("recipient_id")
            .annotate(last=Max("sent_at"))
            .values_list("recipient_id", "last")
        )
        self._kpi_url = code_links("staff:kpi", "kpi_code")
        self._evaluation_url = code_links("staff:evaluation", "code", fiscal_year=year)
        self._item_url = code_links("staff:item", "code")

    def _heads(self) -> dict[int, Head]:
        users = (
            get_user_model()
            .objects.filter(is_active=True, groups__name=DEPARTMENT_HEAD_GROUP)
            .distinct()
            .order_by("last_name", "first_name", "username")
        )
        heads = {
            pk: Head(pk, (f"{last} {first}".strip() or username), email)
            for pk, username, first, last, email in users.values_list(
                "pk", "username", "first_name", "last_name", "email"
            )
        }
        memberships = Department.members.through.objects.filter(user_id__in=list(heads))
        for user_id, department_id in memberships.values_list("user_id", "department_id"):
            heads[user_id].department_ids.add(department_id)
        return heads

    # ---- due dates ------------------------------------------------------------------------

    def due_dates(self, department_id: int) -> tuple[date, date, bool]:
        """(actuals due, evaluations due, whether the department has dates of its own)."""
        own = self.deadlines.get(department_id)
        actuals = (own.actuals_due if own else None) or self.round.actuals_due
        evaluations = (own.evaluations_due if own else None) or self.round.evaluations_due
        return actuals, evaluations, own is not None

    def _earliest(self, department_ids) -> tuple[date, date]:
        dates = [self.due_dates(d) for d in department_ids] or [
            (self.round.actuals_due, self.round.evaluations_due, False)
        ]
        return min(d[0] for d in dates), min(d[1] for d in dates)

    # ---- one person's work ----------------------------------------------------------------

    def work_for(self, user) -> list[Task]:
        """A department head's tasks in this round, soonest due first (empty for anyone else)."""
        if not is_department_head(user):
            return []
        return self.tasks_for(user, department_ids(user))

    def tasks_for(self, user, mine: set[int]) -> list[Task]:
        tasks: list[Task] = []
        seen_kpis: set[str] = set()
        for item in self.items:
            theirs = mine.intersection(item.department_ids)
            if not theirs:
                continue
            actuals_due, evaluations_due = self._earliest(theirs)
            for code, name in item.missing:
                if code in seen_kpis:  # a KPI printed in two of their items is entered once
                    continue
                seen_kpis.add(code)
                tasks.append(
                    self._task(
                        "actual",
                        "実績を入力する",
                        item,
                        f"{code} {name}",
                        actuals_due,
                        self._kpi_url(code),
                    )
                )
            state = item.evaluation_state
            url = self._evaluation_url(item.code)
            if state in (NOT_WRITTEN, Status.DRAFT):
                note = ""
                if item.evaluation is not None and item.evaluation.return_comment:
                    note = f"差し戻されました（理由：{item.evaluation.return_comment}）"
                label = "評価を書いて提出する" if state == NOT_WRITTEN else "評価を仕上げて提出する"
                tasks.append(
                    self._task("evaluation", label, item, EVALUATION, evaluations_due, url, note)
                )
            elif state == Status.SUBMITTED:
                evaluation = item.evaluation
                if workflow.refusal(user, evaluation, workflow.Action.APPROVE) is None:
                    who = evaluation.submitted_by
                    note = f"提出した人：{_name(who)}" if who else ""
                    label = "提出された評価を確認して承認する"
                    tasks.append(
                        self._task("approval", label, item, EVALUATION, evaluations_due, url, note)
                    )
        tasks.sort(key=lambda t: (t.due, TASK_ORDER[t.kind]))
        return tasks

    def _task(self, kind, label, item, what, due, url, note="") -> Task:
        left = days_left(due, self.today)
        return Task(kind, label, item.code, item.title, what, due, left, url, note)

    def head_work(self) -> list[tuple[Head, list[Task]]]:
        """Every head with anything to do in this round, and what (the reminders' content):
        one more query, whatever the number of heads."""
        users = get_user_model().objects.filter(pk__in=list(self.heads))
        out = []
        for user in users.order_by("last_name", "first_name", "username"):
            head = self.heads[user.pk]
            user._role_cache = {DEPARTMENT_HEAD_GROUP}
            user._department_cache = head.department_ids
            work = self.tasks_for(user, head.department_ids)
            if work:
                out.append((head, work))
        return out

    # ---- the overview ---------------------------------------------------------------------

    def department_rows(self) -> list[Row]:
        rows = []
        for department_id, name in sorted(self.departments.items(), key=lambda d: d[1]):
            items = [i for i in self.items if department_id in i.department_ids]
            if not items:
                continue
            actuals_due, evaluations_due, own = self.due_dates(department_id)
            heads = [h for h in self.heads.values() if department_id in h.department_ids]
            reminders = [self.last_reminders[h.pk] for h in heads if h.pk in self.last_reminders]
            rows.append(
                self._row(
                    key=name,
                    title=name,
                    departments=name,
                    items=items,
                    dates=(actuals_due, evaluations_due, own),
                    heads=heads,
                    last_reminder=max(reminders) if reminders else None,
                    url=reverse("staff:round_overview")
                    + f"?fy={self.fiscal_year}&view=items&department={department_id}",
                )
            )
        return rows

    def item_rows(self, department_id: int | None = None) -> list[Row]:
        rows = []
        for item in self.items:
            if department_id and department_id not in item.department_ids:
                continue
            actuals_due, evaluations_due = self._earliest(item.department_ids)
            own = any(d in self.deadlines for d in item.department_ids)
            heads = [
                h for h in self.heads.values() if h.department_ids.intersection(item.department_ids)
            ]
            reminders = [self.last_reminders[h.pk] for h in heads if h.pk in self.last_reminders]
            rows.append(
                self._row(
                    key=item.code,
                    title=f"{item.code} {item.title}",
                    departments="、".join(self.departments[d] for d in item.department_ids),
                    items=[item],
                    dates=(actuals_due, evaluations_due, own),
                    heads=heads,
                    last_reminder=max(reminders) if reminders else None,
                    url=self._item_url(item.code),
                )
            )
        return rows

    def _row(self, *, key, title, departments, items, dates, heads, last_reminder, url) -> Row:
        actuals_due, evaluations_due, own = dates
        kpis = {code for item in items for code, _ in item.kpis}
        missing = {code for item in items for code, _ in item.missing}
        states = dict.fromkeys((state for state, _ in EVALUATION_STATES), 0)
        for item in items:
            states[item.evaluation_state] += 1
        unfinished = sum(n for state, n in states.items() if state not in DONE_STATES)
        actuals_left = days_left(actuals_due, self.today)
        evaluations_left = days_left(evaluations_due, self.today)
        return Row(
            key=key,
            title=title,
            departments=departments,
            actuals_due=actuals_due,
            evaluations_due=evaluations_due,
            own_dates=own,
            items=len(items),
            kpis=len(kpis),
            missing=len(missing),
            states=states,
            actuals_overdue=-actuals_left if missing and actuals_left < 0 else 0,
            evaluations_overdue=-evaluations_left if unfinished and evaluations_left < 0 else 0,
            actuals_left=actuals_left,
            evaluations_left=evaluations_left,
            heads=[h.name for h in heads],
            unreachable=[h.name for h in heads if not h.reachable],
            last_reminder=last_reminder,
            url=url,
        )


EVALUATION = "年度の評価（CHECK・ACT）"
TASK_ORDER = {"approval": 0, "actual": 1, "evaluation": 2}


def _name(user) -> str:
    return user.get_full_name() or user.username


def _window_holds(baseline_year, target_year, year) -> bool:
    """Whether a KPI expects an actual for ``year`` (Kpi.fiscal_year_window, without a model)."""
    probe = Kpi(baseline_fiscal_year=baseline_year, target_fiscal_year=target_year)
    start, end = probe.fiscal_year_window()
    return start <= year <= end


def today() -> date:
    """The day the pages count from (Asia/Tokyo). Tests travel in time by replacing it;
    commands take ``--today``."""
    return timezone.localdate()


def current_round(*, today: date | None = None) -> Round | None:
    """The round the pages show by default: the latest open one, else the latest."""
    return (
        Round.objects.filter(status=Round.Status.OPEN).order_by("-fiscal_year").first()
        or Round.objects.order_by("-fiscal_year").first()
    )


def round_state(round_: Round, *, today: date) -> RoundState:
    return RoundState(round_, today=today)
