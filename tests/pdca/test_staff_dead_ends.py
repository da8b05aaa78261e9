"""Staff pages that promised what they then refused: publishing asks first and shows what it will
publish; 「新しい年度の評価を書く」 offers only the plan's years without an evaluation."""

import re

import pytest

from pdca.models import Evaluation, PublishedSnapshot
from priorities.models import PriorityItem
from tests.conftest import approve_all

pytestmark = pytest.mark.django_db


def test_publishing_shows_what_will_be_published_and_waits_for_a_second_press(client, dx_staff):
    approve_all(2025)
    Evaluation.objects.filter(item__code="1-2", fiscal_year=2025).update(
        status=Evaluation.Status.SUBMITTED
    )
    client.force_login(dx_staff)
    response = client.post("/staff/publish/", {"fiscal_year": "R7", "force_reason": "期限のため"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "令和7年度（2025年度）の進捗を公表しますか" in page
    assert "（第1版）" in page
    assert "17項目" in page and "1-2" in page and "期限のため" in page
    assert not PublishedSnapshot.objects.exists()
    assert 'name="confirmed" value="True"' in page
    fields = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', page))
    response = client.post("/staff/publish/", fields)
    assert response.status_code == 302
    assert PublishedSnapshot.objects.get().forced_reason == "期限のため"


def test_the_confirmation_is_not_shown_when_publishing_is_refused(client, dx_staff):
    client.force_login(dx_staff)
    response = client.post("/staff/publish/", {"fiscal_year": "R7"})
    assert response.status_code == 400
    assert "公表しますか" not in response.content.decode()


def test_new_evaluations_are_offered_only_for_the_plans_years_without_one(client, dx_staff):
    Evaluation.objects.create(item=PriorityItem.objects.get(code="1-3"), fiscal_year=2025)
    client.force_login(dx_staff)
    page = client.get("/staff/items/1-3/").content.decode()
    offered = page.split("新しい年度の評価を書く：")[1].split("</p>")[0]
    years = [int(y) for y in re.findall(r"/evaluations/(\d+)/", offered)]
    assert years == [2024, 2026, 2027]
