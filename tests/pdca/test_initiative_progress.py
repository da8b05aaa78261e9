"""Initiative progress (issue 15, item 3): each roadmap step's status per year (予定 / 実施中 /
完了 / 遅れ / 見直し) with a note, set in the yearly evaluation; the published item page shows the
roadmap with that year's status, and the roll-up counts the steps on track beside the KPIs."""

import pytest

from pdca.models import Evaluation
from pdca.services import evaluations as services
from pdca.services.publication import publish_fiscal_year
from priorities.models import PriorityItem, RoadmapEntry
from priorities.roles import system_user
from tests.conftest import approve_all

pytestmark = pytest.mark.django_db

URL = "/staff/items/1-3/evaluations/2025/"
TEXT = {
    "quantitative": "定量", "qualitative": "定性", "issues": "課題", "countermeasures": "対策",
    "next_plan": "次年度",
}  # fmt: skip


def steps():
    """1-3's roadmap steps that run in R7 (the ones its R7 evaluation asks about)."""
    entries = RoadmapEntry.objects.filter(initiative__item__code="1-3").order_by(
        "initiative__number", "order"
    )
    return [e for e in entries if e.fiscal_year is None or e.covers(2025)]


def test_the_evaluation_page_sets_each_steps_status_with_a_note(client, head_a):
    client.force_login(head_a)
    first, *rest = steps()
    page = client.get(URL).content.decode()
    assert f"step_{first.pk}_status" in page and "実施中" in page
    data = {**TEXT, "version": 1, f"step_{first.pk}_status": "late",
            f"step_{first.pk}_note": "業者選定が遅れた"}  # fmt: skip
    if rest:
        data[f"step_{rest[0].pk}_status"] = "doing"
    assert client.post(URL, data).status_code == 302
    saved = Evaluation.objects.get(item__code="1-3", fiscal_year=2025).roadmap_statuses
    assert saved[str(first.pk)] == {"status": "late", "note": "業者選定が遅れた"}
    history = Evaluation.history.filter(item__code="1-3").first()
    assert history.roadmap_statuses == saved


def test_a_step_of_another_item_or_an_unknown_status_is_refused(head_a):
    item = PriorityItem.objects.get(code="1-3")
    evaluation = services.evaluation_open(item=item, fiscal_year=2025, user=head_a)
    other = RoadmapEntry.objects.filter(initiative__item__code="2-1").first()
    with pytest.raises(services.WorkflowError, match="この重点項目にない"):
        services.evaluation_save(evaluation=evaluation, user=head_a, version=evaluation.version,
                                 fields={"roadmap_statuses": {str(other.pk): {"status": "done"}}})  # fmt: skip
    with pytest.raises(services.WorkflowError, match="予定・実施中・完了・遅れ・見直し"):
        services.evaluation_save(
            evaluation=evaluation, user=head_a, version=evaluation.version,
            fields={"roadmap_statuses": {str(steps()[0].pk): {"status": "finished"}}},
        )  # fmt: skip


def test_the_published_page_shows_the_years_status_and_the_steps_on_track(client):
    first, *rest = steps()
    approve_all(2025)
    evaluation = Evaluation.objects.get(item__code="1-3", fiscal_year=2025)
    statuses = {str(first.pk): {"status": "late", "note": "業者選定が遅れた"}}
    for entry in rest:
        statuses[str(entry.pk)] = {"status": "doing", "note": ""}
    evaluation.roadmap_statuses = statuses
    evaluation.save()
    publish_fiscal_year(fiscal_year=2025, user=system_user())
    page = client.get("/items/1-3/").content.decode()
    assert "令和7年度：遅れ" in page and "業者選定が遅れた" in page
    assert f"予定どおり（予定・実施中・完了）{len(rest)}件／進捗を記入した{len(statuses)}件" in page
    assert "遅れ 1件" in page
    index = client.get("/").content.decode()
    assert f"ロードマップ 予定どおり {len(rest)}／{len(statuses)}件" in index
