"""Two people at once: the second save is refused or waits, never lost, never a 500.
Run on SQLite (immediate transactions) and on PostgreSQL (row locks) by `make test`."""

import threading

import pytest
from django.db import connection
from django.test import Client

from kpis.models import Actual, Kpi
from kpis.parsing import ParsedValue
from pdca.loading import load_plan
from pdca.models import Evaluation
from pdca.services import evaluations as services
from pdca.services.actuals import ActualsRefused, actual_save
from priorities.models import PriorityItem
from priorities.roles import ensure_roles


@pytest.fixture
def plan(transactional_db, settings):
    """A transactional test starts from whatever an earlier one left: load the plan again."""
    load_plan(directory=settings.PLAN_FIXTURES_DIR)
    ensure_roles()


def run_together(*jobs):
    """Run each job in its own thread (own database connection), started at the same moment."""
    barrier = threading.Barrier(len(jobs))
    results = [None] * len(jobs)

    def worker(index, job):
        try:
            barrier.wait(timeout=10)
            results[index] = job()
        except Exception as exc:  # reported to the test, not swallowed
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def test_two_people_entering_the_same_actual_at_once_get_one_row_and_one_message(plan, dx_staff):
    def post():
        client = Client()
        client.force_login(dx_staff)
        response = client.post("/staff/kpis/1-1-K01/", {"fiscal_year": "R6", "value": "324081"})
        return response.status_code, response.content.decode()

    results = run_together(post, post)
    statuses = sorted(status for status, _page in results)
    assert statuses == [302, 400], results
    refused = next(page for status, page in results if status == 400)
    assert "すでに登録されています" in refused or "いま別の人が同じ実績を登録しました" in refused
    assert Actual.objects.filter(kpi__code="1-1-K01", fiscal_year=2024).count() == 1


def test_two_corrections_from_the_same_version_keep_the_first_and_refuse_the_second(plan):
    kpi = Kpi.objects.get(code="1-1-K01")
    actual = Actual.objects.create(kpi=kpi, fiscal_year=2024, value=300000)

    def correct(value):
        return lambda: actual_save(
            kpi=kpi,
            fiscal_year=2024,
            parsed=ParsedValue(value=value),
            note="",
            user=_dx(),
            seen=actual.version,
            reason="テスト",
        )

    results = run_together(correct(310000), correct(320000))
    conflicts = [r for r in results if isinstance(r, ActualsRefused)]
    saved = [r for r in results if isinstance(r, tuple)]
    assert len(conflicts) == 1 and len(saved) == 1, results
    assert Actual.objects.get(pk=actual.pk).value == saved[0][0].value
    assert Actual.objects.get(pk=actual.pk).version == 2


def test_two_evaluation_saves_from_the_same_version_never_overwrite_silently(plan):
    evaluation = Evaluation.objects.create(
        item=PriorityItem.objects.get(code="1-3"), fiscal_year=2025
    )

    def save(text):
        return lambda: services.evaluation_save(
            evaluation=evaluation, user=_dx(), version=1, fields={"qualitative": text}
        )

    results = run_together(save("Aの内容"), save("Bの内容"))
    errors = [r for r in results if isinstance(r, services.WorkflowError)]
    assert len(errors) == 1, results
    saved = next(r for r in results if isinstance(r, Evaluation))
    assert Evaluation.objects.get(pk=evaluation.pk).qualitative == saved.qualitative


def _dx():
    from django.contrib.auth import get_user_model

    user, _ = get_user_model().objects.get_or_create(username="root", is_superuser=True)
    return user
