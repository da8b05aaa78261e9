import pytest
from django.core.management import call_command

from kpis.models import Actual
from pdca.opendata import build_document
from systems.models import CostRecord

pytestmark = pytest.mark.django_db


def latest_grades(document):
    return {
        kpi["actuals"][-1]["grade"] if kpi["actuals"] else "-"
        for item in document["items"]
        for initiative in item["initiatives"]
        for kpi in initiative["kpis"]
    }


def test_load_plan_without_demo_never_creates_demo_actuals():
    call_command("load_plan")
    assert not Actual.objects.exists()


def test_demo_actuals_cover_every_grade_and_are_marked(client):
    call_command("load_plan", "--demo")
    assert Actual.objects.filter(is_demo=False).count() == 0
    assert set(Actual.objects.values_list("fiscal_year", flat=True)) == {2024, 2025}
    document = build_document()
    assert latest_grades(document) == {"A", "B", "C", "D", "-"}
    assert document["contains_demo_data"] is True
    assert document["notice"] == "デモ用の架空の実績値を含みます"
    for path in ["/", "/items/1-3/"]:
        assert "デモ用の架空の実績値を含みます" in client.get(path).content.decode()


def test_demo_loading_is_idempotent_and_keeps_real_actuals():
    call_command("load_plan", "--demo")
    real = Actual.objects.get(kpi__code="1-1-K01", fiscal_year=2025)
    real.is_demo = False
    real.value = 330000
    real.note = "確定値"
    real.save()
    before = list(Actual.objects.order_by("pk").values())
    call_command("load_plan", "--demo")
    assert list(Actual.objects.order_by("pk").values()) == before


def test_demo_data_can_be_removed_leaving_real_actuals():
    call_command("load_plan", "--demo")
    Actual.objects.filter(kpi__code="1-1-K01", fiscal_year=2025).update(is_demo=False)
    call_command("load_plan", "--remove-demo")
    assert list(Actual.objects.values_list("kpi__code", flat=True)) == ["1-1-K01"]
    assert not CostRecord.objects.filter(is_demo=True).exists()
    assert "デモ用の架空の実績値を含みます" not in str(build_document())


def test_a_page_without_demo_data_has_no_demo_notice(client):
    assert "デモ用の架空の実績値を含みます" not in client.get("/").content.decode()


def test_the_demo_opens_this_year_s_round_with_something_late_and_something_due(
    client, monkeypatch, capsys
):
    """make run: the 作業 list, an overdue department on the overview and real e-mails from
    send_reminders --dry-run, whatever day it is run on."""
    from datetime import date, timedelta

    from django.contrib.auth import get_user_model

    from pdca import rounds
    from pdca.models import Round, RoundDeadline

    today = date(2026, 12, 1)
    monkeypatch.setattr(rounds, "today", lambda: today)
    call_command("load_plan", "--demo")
    call_command("create_demo_users", "--force")  # the tests run with DEBUG=false
    round_ = Round.objects.get()
    assert (round_.fiscal_year, round_.is_demo) == (2025, True)
    assert round_.actuals_due == today - timedelta(days=1)
    assert round_.evaluations_due == today + timedelta(days=7)
    assert RoundDeadline.objects.get().department.name == "危機管理課"
    call_command("load_plan", "--demo")  # again: the same round, not a second one
    assert Round.objects.count() == 1

    client.force_login(get_user_model().objects.get(username="kiki-head"))
    assert "わたしの作業（令和7年度の更新）" in client.get("/staff/").content.decode()
    client.force_login(get_user_model().objects.get(username="dx-staff"))
    overview = client.get("/staff/round/")
    assert any(row.overdue for row in overview.context["rows"])
    assert "連絡できない：河川課長（デモ）" in overview.content.decode()

    capsys.readouterr()
    call_command("send_reminders", "--dry-run", "--today", today.isoformat())
    out = capsys.readouterr().out
    assert "件名: 【期限超過】令和7年度の実績・評価" in out
    assert "DX推進課長（デモ） 様" in out
    assert (
        "河川課長（デモ）（メールアドレス未登録） 令和7年度: メールアドレスが未登録のため送れません"
        in out
    )

    call_command("load_plan", "--remove-demo")
    assert not Round.objects.exists() and not RoundDeadline.objects.exists()
