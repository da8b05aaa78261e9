"""The update round: opening it (page rules in the service, and the command), moving its due
dates with a reason, a department's own dates, and who owes what on a given day (pdca/rounds.py)
checked against the data itself."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from kpis.models import Actual, Kpi, KpiPlacement
from pdca.models import Evaluation, Round, RoundDeadline
from pdca.rounds import EVALUATION_STATES, round_state
from pdca.services import evaluations as evaluation_services
from pdca.services.round import (
    RoundRefused,
    round_close,
    round_extend,
    round_open,
    round_set_department_dates,
)
from priorities.models import Department, PriorityItem

pytestmark = pytest.mark.django_db

R7 = 2025
ACTUALS_DUE = date(2026, 5, 31)
EVALUATIONS_DUE = date(2026, 6, 30)


@pytest.fixture
def round_r7(dx_staff):
    return round_open(
        fiscal_year=R7, actuals_due=ACTUALS_DUE, evaluations_due=EVALUATIONS_DUE, user=dx_staff
    )


def expected_kpis(item_code, year=R7):
    """The KPIs an item prints that expect an actual for ``year``, straight from the tables."""
    kpis = Kpi.objects.filter(placements__initiative__item__code=item_code).distinct()
    return {k.code for k in kpis if k.fiscal_year_window()[0] <= year <= k.fiscal_year_window()[1]}


def enter(code, year=R7, value="1"):
    Actual.objects.create(kpi=Kpi.objects.get(code=code), fiscal_year=year, value=Decimal(value))


# ---- opening, extending, closing ---------------------------------------------------------


def test_dx_staff_open_a_round_and_the_history_says_who_and_when(round_r7, dx_staff):
    assert round_r7.is_open
    record = Round.history.get(id=round_r7.pk)
    assert record.history_user == dx_staff
    assert record.history_change_reason.startswith("更新ラウンドを開始（実績 2026年5月31日（日）")


def test_it_refuses_a_second_round_for_the_same_year(round_r7, dx_staff):
    with pytest.raises(RoundRefused, match="すでに開始しています"):
        round_open(
            fiscal_year=R7, actuals_due=ACTUALS_DUE, evaluations_due=EVALUATIONS_DUE, user=dx_staff
        )


def test_a_department_head_cannot_open_a_round(head_a):
    with pytest.raises(RoundRefused, match="DX推進課の職員"):
        round_open(
            fiscal_year=R7, actuals_due=ACTUALS_DUE, evaluations_due=EVALUATIONS_DUE, user=head_a
        )
    assert not Round.objects.exists()


def test_it_refuses_a_year_the_plan_is_not_evaluated_for(dx_staff):
    with pytest.raises(RoundRefused, match="評価・公表の対象ではありません"):
        round_open(
            fiscal_year=2040,
            actuals_due=date(2041, 5, 31),
            evaluations_due=date(2041, 6, 30),
            user=dx_staff,
        )


def test_it_refuses_a_due_date_before_the_fiscal_year_began(dx_staff):
    with pytest.raises(RoundRefused, match="令和7年度の初日"):
        round_open(
            fiscal_year=R7,
            actuals_due=date(2025, 3, 31),
            evaluations_due=EVALUATIONS_DUE,
            user=dx_staff,
        )


def test_extending_needs_a_reason_and_keeps_it_in_the_history(round_r7, dx_staff):
    with pytest.raises(RoundRefused, match="理由を記入"):
        round_extend(
            round=round_r7,
            actuals_due=date(2026, 6, 15),
            evaluations_due=EVALUATIONS_DUE,
            reason=" ",
            user=dx_staff,
        )
    round_extend(
        round=round_r7,
        actuals_due=date(2026, 6, 15),
        evaluations_due=date(2026, 7, 15),
        reason="決算の確定が遅れるため",
        user=dx_staff,
    )
    round_r7.refresh_from_db()
    assert (round_r7.actuals_due, round_r7.evaluations_due) == (
        date(2026, 6, 15),
        date(2026, 7, 15),
    )
    latest = Round.history.filter(id=round_r7.pk).latest("history_date")
    assert latest.history_change_reason == "期限を変更: 決算の確定が遅れるため"
    assert Round.history.filter(id=round_r7.pk).count() == 2


def test_a_department_gets_dates_of_its_own_and_can_lose_them_again(round_r7, dx_staff):
    crisis = Department.objects.get(name="危機管理課")
    round_set_department_dates(
        round=round_r7,
        department=crisis,
        actuals_due=date(2026, 6, 20),
        evaluations_due=None,
        reason="災害対応のため",
        user=dx_staff,
    )
    state = round_state(round_r7, today=date(2026, 5, 1))
    assert state.due_dates(crisis.pk) == (date(2026, 6, 20), EVALUATIONS_DUE, True)
    other = Department.objects.get(name="広報課")
    assert state.due_dates(other.pk) == (ACTUALS_DUE, EVALUATIONS_DUE, False)
    round_set_department_dates(
        round=round_r7,
        department=crisis,
        actuals_due=None,
        evaluations_due=None,
        reason="通常の期限に戻す",
        user=dx_staff,
    )
    assert not RoundDeadline.objects.exists()
    reasons = set(RoundDeadline.history.values_list("history_change_reason", flat=True))
    assert reasons == {
        "課の期限を設定（危機管理課）: 災害対応のため",
        "課の期限を取り消し: 通常の期限に戻す",
    }


def test_closing_a_round_is_recorded_and_can_be_undone(round_r7, dx_staff, head_a):
    with pytest.raises(RoundRefused):
        round_close(round=round_r7, user=head_a)
    round_close(round=round_r7, user=dx_staff)
    round_r7.refresh_from_db()
    assert not round_r7.is_open
    round_close(round=round_r7, user=dx_staff, reopen=True)
    round_r7.refresh_from_db()
    assert round_r7.is_open


# ---- the command -------------------------------------------------------------------------


def test_the_command_opens_the_round_as_the_issue_writes_it(capsys):
    call_command(
        "open_round", "R7", "--actuals-due", "2026-05-31", "--evaluations-due", "2026-06-30"
    )
    round_ = Round.objects.get()
    assert (round_.fiscal_year, round_.actuals_due, round_.evaluations_due) == (
        R7,
        ACTUALS_DUE,
        EVALUATIONS_DUE,
    )
    assert "令和7年度（2025年度）の更新ラウンドを開始しました" in capsys.readouterr().out


def test_the_command_extends_an_open_round_only_with_a_reason():
    call_command(
        "open_round", "R7", "--actuals-due", "2026-05-31", "--evaluations-due", "2026-06-30"
    )
    with pytest.raises(CommandError, match='--reason "理由"'):
        call_command(
            "open_round", "R7", "--actuals-due", "2026-06-30", "--evaluations-due", "2026-07-31"
        )
    call_command(
        "open_round",
        "令和7年度",
        "--actuals-due",
        "2026/6/30",
        "--evaluations-due",
        "2026-07-31",
        "--reason",
        "延長",
    )
    assert Round.objects.get().actuals_due == date(2026, 6, 30)


def test_the_command_sets_a_department_s_dates_and_names_a_bad_date():
    call_command(
        "open_round", "R7", "--actuals-due", "2026-05-31", "--evaluations-due", "2026-06-30"
    )
    call_command(
        "open_round",
        "R7",
        "--actuals-due",
        "2026-06-15",
        "--evaluations-due",
        "2026-07-15",
        "--department",
        "危機管理課",
        "--reason",
        "災害対応",
    )
    assert RoundDeadline.objects.get().department.name == "危機管理課"
    with pytest.raises(CommandError, match="--actuals-due の「5月31日」は日付として読めません"):
        call_command(
            "open_round", "R8", "--actuals-due", "5月31日", "--evaluations-due", "2027-06-30"
        )
    with pytest.raises(CommandError, match="所管課「存在しない課」は登録されていません"):
        call_command(
            "open_round",
            "R7",
            "--actuals-due",
            "2026-06-15",
            "--evaluations-due",
            "2026-07-15",
            "--department",
            "存在しない課",
            "--reason",
            "x",
        )


# ---- who owes what -----------------------------------------------------------------------


def test_the_overview_counts_match_the_data(round_r7, head_a):
    enter("1-3-K01")
    enter("1-1-K01")
    item = PriorityItem.objects.get(code="1-4")
    Evaluation.objects.create(item=item, fiscal_year=R7, status=Evaluation.Status.SUBMITTED)
    Evaluation.objects.create(
        item=PriorityItem.objects.get(code="1-3"), fiscal_year=R7, status=Evaluation.Status.APPROVED
    )
    state = round_state(round_r7, today=date(2026, 6, 3))
    rows = {row.key: row for row in state.department_rows()}
    for department in Department.objects.filter(items__isnull=False).distinct():
        items = list(department.items.all())
        kpis = set().union(*(expected_kpis(i.code) for i in items))
        entered = set(
            Actual.objects.filter(fiscal_year=R7, kpi__code__in=kpis).values_list(
                "kpi__code", flat=True
            )
        )
        row = rows[department.name]
        assert (row.items, row.kpis, row.missing) == (len(items), len(kpis), len(kpis - entered))
        evaluations = Evaluation.objects.filter(item__in=items, fiscal_year=R7)
        for state_key, _label in EVALUATION_STATES:
            if state_key == "none":
                expected = len(items) - evaluations.count()
            else:
                expected = evaluations.filter(status=state_key).count()
            assert row.states[state_key] == expected, (department.name, state_key)
        # 3 days after the actuals' due date: late wherever an actual is missing.
        assert row.actuals_overdue == (3 if row.missing else 0)
        assert row.evaluations_overdue == 0  # due on 30 June
    crisis = rows["危機管理課"]
    assert crisis.missing == len(expected_kpis("1-3")) - 1
    assert crisis.states["approved"] == 1 and crisis.unfinished_evaluations == 0
    item_rows = {row.key: row for row in state.item_rows()}
    assert item_rows["1-4"].states["submitted"] == 1
    assert sum(row.items for row in item_rows.values()) == PriorityItem.objects.count()


def test_a_head_owes_only_what_their_departments_own(round_r7, head_a, head_b):
    state = round_state(round_r7, today=date(2026, 5, 24))
    mine = state.work_for(head_a)
    assert {task.item_code for task in mine} == {"1-3"}
    actual_tasks = [t for t in mine if t.kind == "actual"]
    assert {t.what.split()[0] for t in actual_tasks} == expected_kpis("1-3")
    assert all(t.due == ACTUALS_DUE and t.days_left == 7 for t in actual_tasks)
    assert all(t.url.startswith("/staff/kpis/1-3-K") for t in actual_tasks)
    (evaluation_task,) = [t for t in mine if t.kind == "evaluation"]
    assert (evaluation_task.due, evaluation_task.days_left) == (EVALUATIONS_DUE, 37)
    assert evaluation_task.url == "/staff/items/1-3/evaluations/2025/"
    assert {task.item_code for task in state.work_for(head_b)} == {"1-4"}


def test_dx_staff_who_are_not_heads_have_no_tasks(round_r7, dx_staff):
    assert round_state(round_r7, today=date(2026, 5, 24)).work_for(dx_staff) == []


def test_an_entered_actual_leaves_the_list(round_r7, head_a):
    before = round_state(round_r7, today=date(2026, 5, 24)).work_for(head_a)
    enter("1-3-K02")
    after = round_state(round_r7, today=date(2026, 5, 24)).work_for(head_a)
    assert len(after) == len(before) - 1
    assert "1-3-K02" not in " ".join(t.what for t in after)


def test_the_approval_goes_to_the_other_head_never_to_the_submitter(round_r7, head_a, head_a2):
    item = PriorityItem.objects.get(code="1-3")
    evaluation = evaluation_services.evaluation_open(item=item, fiscal_year=R7, user=head_a)
    fields = dict.fromkeys(evaluation_services.EDITABLE_FIELDS, "記入")
    evaluation_services.evaluation_save(
        evaluation=evaluation, user=head_a, version=evaluation.version, fields=fields, submit=True
    )
    state = round_state(round_r7, today=date(2026, 6, 1))
    assert [
        t.kind for t in state.work_for(head_a) if t.item_code == "1-3" and t.kind != "actual"
    ] == []
    (approval,) = [t for t in state.work_for(head_a2) if t.kind == "approval"]
    assert approval.label == "提出された評価を確認して承認する"
    assert "提出した人：kiki-head" in approval.note


def test_the_last_editor_is_not_asked_to_approve_either(round_r7, head_a, head_a2):
    """Four eyes compares people: head_a2 edited, head_a submitted; neither may approve."""
    item = PriorityItem.objects.get(code="1-3")
    evaluation = evaluation_services.evaluation_open(item=item, fiscal_year=R7, user=head_a2)
    fields = dict.fromkeys(evaluation_services.EDITABLE_FIELDS, "記入")
    evaluation = evaluation_services.evaluation_save(
        evaluation=evaluation, user=head_a2, version=evaluation.version, fields=fields
    )
    evaluation_services.evaluation_save(
        evaluation=evaluation, user=head_a, version=evaluation.version, fields=fields, submit=True
    )
    state = round_state(round_r7, today=date(2026, 6, 1))
    assert [t for t in state.work_for(head_a) if t.kind == "approval"] == []
    assert [t for t in state.work_for(head_a2) if t.kind == "approval"] == []


def test_a_returned_evaluation_comes_back_with_its_reason(round_r7, head_a, head_a2):
    item = PriorityItem.objects.get(code="1-3")
    evaluation = evaluation_services.evaluation_open(item=item, fiscal_year=R7, user=head_a)
    fields = dict.fromkeys(evaluation_services.EDITABLE_FIELDS, "記入")
    evaluation = evaluation_services.evaluation_save(
        evaluation=evaluation, user=head_a, version=evaluation.version, fields=fields, submit=True
    )
    evaluation_services.evaluation_return(
        evaluation=evaluation,
        user=head_a2,
        version=evaluation.version,
        comment="数字を確認してください",
    )
    (task,) = [
        t
        for t in round_state(round_r7, today=date(2026, 6, 1)).work_for(head_a)
        if t.kind == "evaluation"
    ]
    assert task.label == "評価を仕上げて提出する"
    assert task.note == "差し戻されました（理由：数字を確認してください）"


def test_a_head_s_due_date_is_their_own_department_s(round_r7, dx_staff, head_a):
    round_set_department_dates(
        round=round_r7,
        department=Department.objects.get(name="危機管理課"),
        actuals_due=date(2026, 6, 20),
        evaluations_due=date(2026, 7, 20),
        reason="災害対応",
        user=dx_staff,
    )
    state = round_state(round_r7, today=date(2026, 6, 1))
    tasks = state.work_for(head_a)
    assert {t.due for t in tasks if t.kind == "actual"} == {date(2026, 6, 20)}
    assert not any(t.overdue for t in tasks)
    # 1-3 is also 河川課's, which keeps the round's dates: the item is late for it.
    (row,) = [r for r in state.item_rows() if r.key == "1-3"]
    assert row.actuals_due == ACTUALS_DUE and row.actuals_overdue == 1


def test_a_kpi_printed_in_two_of_a_head_s_items_is_one_task(round_r7, django_user_model):
    from tests.conftest import make_user

    repeated = (
        KpiPlacement.objects.values("kpi_id")
        .annotate(
            n=__import__("django.db.models", fromlist=["Count"]).Count(
                "initiative__item", distinct=True
            )
        )
        .filter(n__gt=1)
        .values_list("kpi__code", flat=True)
    )
    code = next(c for c in repeated if c in expected_kpis(c.rsplit("-K", 1)[0]))
    head = make_user(django_user_model, "dx-head", group="所管課長", departments=["DX推進課"])
    tasks = round_state(round_r7, today=date(2026, 5, 24)).work_for(head)
    assert [t.what.split()[0] for t in tasks if t.kind == "actual"].count(code) == 1
