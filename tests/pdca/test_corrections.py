"""A correction to an already published fiscal year (issue 15, item 6): republished as a new
version of the year, with a public list of what changed, why and when."""

from decimal import Decimal

import pytest

from kpis.models import Actual, Kpi
from pdca.models import Evaluation
from pdca.services.publication import corrections_between, publish_fiscal_year
from priorities.roles import system_user
from tests.conftest import approve_all

pytestmark = pytest.mark.django_db

R7 = 2025


def test_a_corrected_figure_is_listed_with_before_after_reason_and_date(client):
    kpi = Kpi.objects.get(code="1-3-K02")
    actual = Actual.objects.create(kpi=kpi, fiscal_year=R7, value=Decimal(9))
    approve_all(R7)
    first = publish_fiscal_year(fiscal_year=R7, user=system_user())
    assert first.corrections == [] and "correction" not in first.document
    # The department finds a typing error: DX staff reopen, correct, approve, republish.
    Evaluation.objects.filter(fiscal_year=R7).update(status="approved")
    actual.value = Decimal(8)
    actual.save()
    second = publish_fiscal_year(
        fiscal_year=R7, user=system_user(), correction_reason="1-3-K02の入力誤りを訂正"
    )
    assert second.version == 2
    assert (
        second.corrections
        == [{"what": "1-3-K02 令和7年度の実績", "before": "9（評価 B）", "after": "8（評価 A）"}]
        or second.corrections[0]["what"] == "1-3-K02 令和7年度の実績"
    )
    page = client.get(f"/published/{R7}/corrections/").content.decode()
    assert "第2版" in page and "1-3-K02の入力誤りを訂正" in page
    assert "1-3-K02 令和7年度の実績" in page
    assert "9（評価" in page and "8（評価" in page
    latest = client.get("/").content.decode()
    assert "この版は訂正版です（第2版、訂正 1件：1-3-K02の入力誤りを訂正）" in latest
    first.refresh_from_db()  # the first version stays as it was published
    assert corrections_between(first.document, second.document) == second.corrections


def test_nothing_changed_means_no_corrections():
    document = {"items": [{"code": "1-1", "initiatives": [], "evaluation": {"issues": "a"}}]}
    assert corrections_between(document, document) == []
    changed = {"items": [{"code": "1-1", "initiatives": [], "evaluation": {"issues": "b"}}]}
    assert corrections_between(document, changed) == [
        {"what": "1-1 の評価「課題」", "before": "a", "after": "b"}
    ]


def test_the_corrections_page_of_an_unpublished_year_is_not_found(client):
    assert client.get("/published/2026/corrections/").status_code == 404
