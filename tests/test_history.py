"""Every change to recorded models is in the history, whatever path it took."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

from kpis.models import Actual, Kpi
from pdca.models import Evaluation
from priorities.models import NarrativeBullet, PriorityItem
from systems.models import System

pytestmark = pytest.mark.django_db


def test_an_actual_entered_on_a_page_records_who_and_what(client, dx_staff):
    client.force_login(dx_staff)
    client.post("/staff/kpis/1-1-K01/", {"fiscal_year": "R6", "value": "324081"})
    client.post("/staff/kpis/1-1-K01/", {"fiscal_year": "R6", "value": "325000", "version": "1"})
    records = list(Actual.history.filter(kpi__code="1-1-K01").order_by("history_date"))
    assert [r.history_type for r in records] == ["+", "~"]
    assert all(r.history_user == dx_staff for r in records)
    assert (records[0].value, records[1].value) == (324081, 325000)
    page = client.get("/staff/kpis/1-1-K01/").content.decode()
    assert "変更の履歴" in page
    assert "実績値：324,081 → 325,000" in page


def test_a_change_in_the_admin_is_recorded_with_its_user(client, django_user_model):
    admin_user = django_user_model.objects.create_superuser("root", password="x" * 16)
    client.force_login(admin_user)
    system = System.objects.get(name="電子申請システム")
    url = f"/admin/systems/system/{system.pk}/change/"
    form = client.get(url).context["adminform"].form
    data = {name: value for name, value in form.initial.items() if value is not None}
    data = {k: ("" if v is None else v) for k, v in data.items()}
    data.update(
        {
            "effects": "管理画面で修正した効果",
            "change_reason": "所管課からの訂正",
            "placements-TOTAL_FORMS": 0,
            "placements-INITIAL_FORMS": 0,
            "breakdown-TOTAL_FORMS": 0,
            "breakdown-INITIAL_FORMS": 0,
            "costs-TOTAL_FORMS": 0,
            "costs-INITIAL_FORMS": 0,
        }
    )
    data = {k: v for k, v in data.items() if not isinstance(v, list)}
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    latest = System.history.filter(id=system.pk).latest("history_date")
    assert latest.effects == "管理画面で修正した効果"
    assert latest.history_user == admin_user
    assert latest.history_change_reason == "所管課からの訂正"
    client.force_login(admin_user)
    page = client.get(f"/staff/systems/{system.pk}/").content.decode()
    assert "管理画面で修正した効果" in page.split('id="history"')[1]


def test_an_import_is_recorded(tmp_path):
    path = tmp_path / "a.csv"
    path.write_text("kpi_code,fiscal_year,value\r\n1-1-K02,R6,900\r\n", encoding="utf-8")
    call_command("import_actuals", str(path))
    assert Actual.history.filter(kpi__code="1-1-K02", history_type="+").count() == 1


def test_a_plan_change_by_load_plan_is_recorded(tmp_path):
    import json
    import shutil

    target = tmp_path / "fixtures"
    shutil.copytree(settings.PLAN_FIXTURES_DIR, target)
    path = target / "plan" / "items" / "1-1.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    old = data["gap"][0]
    data["gap"][0] = "書き換えた課題"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    from pdca.loading import load_plan

    load_plan(directory=target)
    bullet = NarrativeBullet.objects.get(item__code="1-1", section="gap", order=1)
    records = list(bullet.history.order_by("history_date"))
    assert [r.text for r in records][-2:] == [old, "書き換えた課題"]


def test_deletes_are_recorded():
    call_command("load_plan", "--demo")
    demo = Actual.objects.filter(is_demo=True).count()
    call_command("load_plan", "--remove-demo")
    assert Actual.history.filter(history_type="-").count() == demo


def test_workflow_steps_record_their_reason(client, head_a, head_a2):
    client.force_login(head_a)
    url = "/staff/items/1-3/evaluations/2025/"
    fields = ["quantitative", "qualitative", "issues", "countermeasures", "next_plan"]
    client.post(url, {**dict.fromkeys(fields, "記入"), "version": 1})
    client.post(url, {**dict.fromkeys(fields, "記入して提出"), "version": 2, "action": "submit"})
    client.force_login(head_a2)
    client.post(url + "return/", {"version": 4, "comment": "数値を確認"})
    evaluation = Evaluation.objects.get(item__code="1-3", fiscal_year=2025)
    reasons = [r.history_change_reason for r in evaluation.history.order_by("history_date")]
    assert reasons == ["評価を作成", "評価を編集", "編集して提出", "差し戻し: 数値を確認"]
    page = client.get("/staff/items/1-3/").content.decode()
    assert "差し戻し: 数値を確認" in page


def test_the_item_page_shows_its_history_to_staff(client, dx_staff):
    item = PriorityItem.objects.get(code="1-1")
    item.title = "行政サービスのオンライン化（修正）"
    item._history_user = dx_staff
    item.save()
    client.force_login(dx_staff)
    history = client.get("/staff/items/1-1/").content.decode().split('id="history"')[1]
    assert "重点項目名：行政サービスのオンライン化 → 行政サービスのオンライン化（修正）" in history


RECORDED_MODELS = ["Actual", "CostRecord", "System", "Evaluation", "Kpi", "PriorityItem"]


def test_app_code_never_bypasses_the_history_with_bulk_writes():
    offenders = []
    for app in ["priorities", "kpis", "systems", "shizuoka_dx"]:
        for path in Path(settings.BASE_DIR, app).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            text = path.read_text(encoding="utf-8")
            for pattern in [
                r"\)\.update\(",
                r"\.objects\.update\(",
                r"bulk_create",
                r"bulk_update",
            ]:
                if re.search(pattern, text):
                    offenders.append(f"{path.relative_to(settings.BASE_DIR)}: {pattern}")
    assert offenders == []


def test_a_kpi_history_lists_the_definition_too(client, dx_staff):
    kpi = Kpi.objects.get(code="1-3-K02")
    kpi.name = "発信までの時間"
    kpi.save()
    client.force_login(dx_staff)
    page = client.get("/staff/kpis/1-3-K02/").content.decode()
    assert "KPIの定義を変更" in page
