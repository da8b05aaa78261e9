"""History in people's words: field names, state names (承認済み), local time to the minute,
people's names (not login names), numbers with units, and a new record's values."""

import re

import pytest

from pdca.models import Evaluation
from pdca.services import evaluations as services
from pdca.services.publication import publish_fiscal_year
from priorities.models import PriorityItem
from tests.conftest import approve_all

pytestmark = pytest.mark.django_db


def history(page: str) -> str:
    section = page.split('<h2 id="history">')[1].split("</section>")[0]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", section))


@pytest.fixture
def named(dx_staff, head_a, head_a2):
    for user, name in [(dx_staff, "駿河 花子"), (head_a, "清水 一郎"), (head_a2, "葵 次郎")]:
        user.last_name, user.first_name = name.split()
        user.save()
    return dx_staff, head_a, head_a2


def test_a_new_actual_shows_its_value_with_its_unit_and_the_persons_name(client, named):
    client.force_login(named[0])
    client.post("/staff/kpis/1-3-K02/", {"fiscal_year": "R7", "value": "10"})
    client.post("/staff/kpis/1-3-K02/", {"fiscal_year": "R7", "value": "9", "version": "1"})
    text = history(client.get("/staff/kpis/1-3-K02/").content.decode())
    assert "令和7年度（2025年度）の実績を追加 年度：令和7年度 実績値：10時間" in text
    assert "実績値：10時間 → 9時間" in text
    assert "駿河 花子" in text and "dx-staff" not in text
    assert re.search(r"\d{4}年\d{1,2}月\d{1,2}日 \d{2}:\d{2} ", text)


def test_an_evaluations_history_says_states_times_and_people_as_people_do(client, named):
    staff, head, second = named
    evaluation = services.evaluation_open(
        item=PriorityItem.objects.get(code="1-3"), fiscal_year=2025, user=head
    )
    services.evaluation_save(
        evaluation=evaluation,
        user=head,
        version=evaluation.version,
        fields={
            "qualitative": "順調",
            "issues": "なし",
            "countermeasures": "なし",
            "next_plan": "継続",
        },
        submit=True,
    )
    evaluation.refresh_from_db()
    services.evaluation_approve(evaluation=evaluation, user=second, version=evaluation.version)
    approve_all(2025)
    publish_fiscal_year(fiscal_year=2025, user=staff)
    client.force_login(staff)
    text = history(client.get("/staff/items/1-3/").content.decode())
    assert "状態：提出済み（承認待ち） → 承認済み" in text
    assert "状態：承認済み → 公表済み" in text
    assert "approved" not in text and "published" not in text
    assert "承認した人：（空欄） → 葵 次郎" in text
    published = Evaluation.objects.get(item__code="1-3", fiscal_year=2025).published_at
    from django.utils import timezone

    local = timezone.localtime(published)
    assert f"公表日時：（空欄） → {local.year}年{local.month}月{local.day}日 {local:%H:%M}" in text
    assert "+00:00" not in text and not re.search(r"\d{2}:\d{2}:\d{2}", text)
    assert "kiki-head" not in text


def test_the_admin_history_reads_the_same_way(admin_client, named):
    head = named[1]
    evaluation = services.evaluation_open(
        item=PriorityItem.objects.get(code="1-3"), fiscal_year=2025, user=head
    )
    services.evaluation_save(
        evaluation=evaluation,
        user=head,
        version=evaluation.version,
        fields={
            "qualitative": "順調",
            "issues": "なし",
            "countermeasures": "なし",
            "next_plan": "継続",
        },
        submit=True,
    )
    page = admin_client.get(f"/admin/pdca/evaluation/{evaluation.pk}/history/").content.decode()
    assert "下書き → 提出済み（承認待ち）" in page
    assert "清水 一郎" in page
