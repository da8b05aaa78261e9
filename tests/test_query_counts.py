"""Pages run a fixed number of queries however large the plan is (real plan vs. three times it)."""

import json
import re
import shutil

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext

from pdca.demo_actuals import load_demo_actuals
from pdca.loading import load_plan
from priorities.models import PriorityItem
from priorities.roles import system_user
from systems.models import System

pytestmark = pytest.mark.django_db


def _recode(text: str, mapping: dict[str, str]) -> str:
    return re.sub(
        r"\b([1-9]-[1-9][0-9]?)(-K\d\d)\b",
        lambda m: mapping.get(m.group(1), m.group(1)) + m.group(2),
        text,
    )


def write_triple_plan(target):
    """Copy fixtures/ and add two copies of every item (1-1 → 1-11, 1-21 …) with their KPIs."""
    shutil.copytree(settings.PLAN_FIXTURES_DIR, target)
    plan_path = target / "plan" / "plan.json"
    plan = json.loads(plan_path.read_text(encoding="utf-8"))
    for copy in (1, 2):
        mapping = {}
        for pillar in plan["pillars"]:
            for code in [c for c in pillar["items"] if c.count("-") == 1 and len(c) == 3]:
                number, order = code.split("-")
                mapping[code] = f"{number}-{copy}{order}"
        for pillar in plan["pillars"]:
            originals = [c for c in pillar["items"] if c in mapping]
            pillar["items"] += [mapping[c] for c in originals]
        for code, new_code in mapping.items():
            source = (target / "plan" / "items" / f"{code}.json").read_text(encoding="utf-8")
            data = json.loads(_recode(source, mapping))
            data["code"] = new_code
            for system in data.get("systems", []):
                system["name"] += f"（複製{copy}）"
            (target / "plan" / "items" / f"{new_code}.json").write_text(
                json.dumps(data, ensure_ascii=False), encoding="utf-8"
            )
    plan_path.write_text(json.dumps(plan, ensure_ascii=False), encoding="utf-8")


def count_queries(client, path):
    with CaptureQueriesContext(connection) as context:
        response = client.get(path)
    assert response.status_code == 200, path
    return len(context.captured_queries)


PUBLIC_PAGES = [
    "/",
    "/items/1-1/",
    "/items/1-3/kpis/1-3-K02/",
    "/opendata/plan.json",
    "/opendata/plan.csv",
]
STAFF_PAGES = [
    "/staff/",
    "/staff/items/1-1/",
    "/staff/items/2-2/",  # 1-1 has Form ② records, 2-2 has none
    "/staff/kpis/1-3-K02/",
    "/staff/systems/",
    "/staff/publish/",
]


def staff_pages():
    first_system = System.objects.order_by("pk").first()
    return [*STAFF_PAGES, f"/staff/systems/{first_system.pk}/"]


def measure(client, staff_client):
    return {
        **{path: count_queries(client, path) for path in PUBLIC_PAGES},
        **{path: count_queries(staff_client, path) for path in staff_pages()},
    }


@pytest.fixture
def staff(django_user_model, dx_staff):
    from django.test import Client

    staff_client = Client()
    staff_client.force_login(dx_staff)
    return staff_client


def test_pages_run_the_same_number_of_queries_for_a_plan_three_times_as_large(
    client, staff, tmp_path
):
    load_demo_actuals(user=system_user())
    real = measure(client, staff)

    write_triple_plan(tmp_path / "fixtures")
    load_plan(directory=tmp_path / "fixtures")
    load_demo_actuals(user=system_user())
    assert PriorityItem.objects.count() == 54
    large = measure(client, staff)

    assert large == real
    # And the counts stay small: a page is a handful of prefetches, not a query per row.
    assert max(real.values()) <= 40, real


def test_published_public_pages_are_drawn_with_three_queries_then_served_with_one(client, publish):
    load_demo_actuals(user=system_user())
    publish(2025)
    for path in PUBLIC_PAGES:
        # The publication state (pdca/public_cache.py), then the page's own one or two.
        assert count_queries(client, path) <= 3, path
        # From the cache: the publication state only (read on every request in tests; a process
        # reads it at most every STATE_INTERVAL, so mostly no query at all).
        assert count_queries(client, path) == 1, path


def test_the_staff_item_page_reads_its_own_item_without_the_whole_plans_document(
    staff, monkeypatch
):
    from pdca import opendata
    from pdca.views import public as _public_views  # noqa: F401  imported before the patch:
    from pdca.views import staff as staff_views  # a view module first imported under it would
    # keep the patched build_document for the rest of the process (the next test's front page).

    def whole_plan(**kwargs):
        raise AssertionError("the staff item page built the whole plan's document")

    monkeypatch.setattr(opendata, "build_document", whole_plan)
    monkeypatch.setattr(staff_views, "build_document", whole_plan, raising=False)
    load_demo_actuals(user=system_user())
    response = staff.get("/staff/items/1-1/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "1-1-K01" in page and "様式② 主な業務システムの費用対効果" in page


def test_staff_pages_run_the_same_queries_on_a_generated_plan_ten_times_as_large(client, staff):
    """The generator of ``make bench`` (pdca/scale.py) copies the real plan in bulk: cheap
    enough to check the staff pages at 10× (180 items, 470 KPIs) here as well."""
    from kpis.models import Actual
    from pdca import scale

    user = system_user()
    scale.write_actuals(user, seed=1)
    real = measure(client, staff)

    Actual.objects.all().delete()
    scale.copy_items(10, user)
    scale.write_actuals(user, seed=1)
    assert PriorityItem.objects.count() == 180
    assert Actual.objects.count() > 1500
    large = measure(client, staff)

    assert large == real


ROUND_PAGES = [
    "/staff/round/",
    "/staff/round/?view=items&sort=missing&order=desc",
    "/staff/round/overview.csv",
    "/staff/round/overview.xlsx",
    "/staff/round/2025/",
]


def test_the_round_pages_and_a_head_s_work_list_run_the_same_queries_at_three_times_the_size(
    staff, dx_staff, django_user_model, tmp_path
):
    from datetime import date

    from django.test import Client

    from pdca.services.mail import send_reminders
    from pdca.services.round import round_open
    from tests.conftest import make_user

    head = make_user(
        django_user_model,
        "dx-head",
        group="所管課長",
        departments=["DX推進課"],
        email="h@example.jp",
    )
    head_client = Client()
    head_client.force_login(head)
    load_demo_actuals(user=system_user())
    round_open(
        fiscal_year=2025,
        actuals_due=date(2026, 5, 31),
        evaluations_due=date(2026, 6, 30),
        user=dx_staff,
    )
    send_reminders(today=date(2026, 5, 24))

    def measure_round():
        return {
            **{path: count_queries(staff, path) for path in ROUND_PAGES},
            "head /staff/": count_queries(head_client, "/staff/"),
        }

    real = measure_round()
    write_triple_plan(tmp_path / "fixtures")
    load_plan(directory=tmp_path / "fixtures")
    load_demo_actuals(user=system_user())
    assert PriorityItem.objects.count() == 54
    large = measure_round()
    assert large == real
    assert max(real.values()) <= 45, real
