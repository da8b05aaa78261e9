"""A demo of the yearly cycle on top of the demo actuals (load_plan --demo).

令和6年度: every item's evaluation approved and the year published, so the public page shows
progress. 令和7年度: evaluations in every state (draft, submitted, approved), so staff can try
the cycle: submit, approve, return, publish. Everything made here is marked as demo.
"""

from datetime import date, timedelta

from django.db import transaction

from pdca.demo_actuals import DEMO_YEARS
from pdca.models import Evaluation, PublishedSnapshot, Round
from pdca.services import round as round_services
from pdca.services.evaluations import (
    demo_evaluation_create,
    demo_evaluations_remove,
    quantitative_draft,
)
from pdca.services.publication import publish_fiscal_year, remove_demo_publications
from priorities.models import Department, PriorityItem
from shizuoka_dx.deadlines import fiscal_year_end, fiscal_year_start
from shizuoka_dx.history import delete_recorded

DEMO_TEXT = {
    "qualitative": "（デモ用の架空の評価）取組はおおむね計画どおりに進んでいます。",
    "issues": "（デモ）利用の広がりに部署ごとの差があります。",
    "countermeasures": "（デモ）利用の少ない部署に個別に説明し、使い方の相談を受け付けます。",
    "next_plan": "（デモ）次年度は対象の手続・業務を広げ、効果を測りながら進めます。",
}
PUBLISHED_YEAR, OPEN_YEAR = DEMO_YEARS
OPEN_YEAR_STATES = (
    Evaluation.Status.APPROVED,
    Evaluation.Status.SUBMITTED,
    Evaluation.Status.DRAFT,
)


@transaction.atomic
def load_demo_cycle(*, user) -> dict:
    """Create the demo evaluations (never over real ones) and publish the demo year once."""
    made = 0
    items = list(PriorityItem.objects.in_plan_order())
    existing = {(e.item_id, e.fiscal_year) for e in Evaluation.objects.all()}
    for index, item in enumerate(items):
        for year, status in (
            (PUBLISHED_YEAR, Evaluation.Status.APPROVED),
            (OPEN_YEAR, OPEN_YEAR_STATES[index % len(OPEN_YEAR_STATES)]),
        ):
            if (item.pk, year) in existing:
                continue
            demo_evaluation_create(
                item=item,
                fiscal_year=year,
                status=status,
                texts={"quantitative": quantitative_draft(item, year), **DEMO_TEXT},
                user=user,
            )
            made += 1
    published = False
    if not PublishedSnapshot.objects.filter(fiscal_year=PUBLISHED_YEAR).exists():
        publish_fiscal_year(fiscal_year=PUBLISHED_YEAR, user=user)
        published = True
    return {"evaluations": made, "published": published}


@transaction.atomic
def remove_demo_cycle(*, user) -> tuple[int, int]:
    """Delete demo evaluations and every publication that showed demo data."""
    return demo_evaluations_remove(user=user), remove_demo_publications(user=user)


def demo_round_dates(today: date) -> dict:
    """Due dates around ``today`` so the demo shows every case: the round's actuals overdue
    since yesterday (red on the overview, and today's reminder says so), its evaluations due in 7 days (a reminder goes out today), and
    危機管理課 with later dates of its own. Kept inside the dates the round allows."""
    first, last = fiscal_year_start(OPEN_YEAR), fiscal_year_end(OPEN_YEAR + 1)

    def within(day):
        return min(max(day, first), last)

    return {
        "actuals_due": within(today - timedelta(days=1)),
        "evaluations_due": within(today + timedelta(days=7)),
        "crisis_actuals_due": within(today + timedelta(days=14)),
        "crisis_evaluations_due": within(today + timedelta(days=30)),
    }


@transaction.atomic
def load_demo_round(*, user, today: date) -> bool:
    """Open 令和7年度's update round (marked as demo) unless a round of that year exists."""
    if Round.objects.filter(fiscal_year=OPEN_YEAR).exists():
        return False
    dates = demo_round_dates(today)
    round_ = round_services.round_open(
        fiscal_year=OPEN_YEAR,
        actuals_due=dates["actuals_due"],
        evaluations_due=dates["evaluations_due"],
        user=user,
        demo=True,
    )
    crisis = Department.objects.filter(name="危機管理課").first()
    if crisis is not None:
        round_services.round_set_department_dates(
            round=round_,
            department=crisis,
            actuals_due=dates["crisis_actuals_due"],
            evaluations_due=dates["crisis_evaluations_due"],
            reason="デモ用の課の期限",
            user=user,
        )
    return True


@transaction.atomic
def remove_demo_round(*, user) -> int:
    removed = 0
    for round_ in Round.objects.filter(is_demo=True):
        for deadline in round_.deadlines.all():
            delete_recorded(deadline, user=user, reason="デモ用の更新ラウンドを削除")
        round_.emailmessagerecord_set.update(round=None)
        delete_recorded(round_, user=user, reason="デモ用の更新ラウンドを削除")
        removed += 1
    return removed
