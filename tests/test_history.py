"""Every change to recorded models is in the history, whatever path it took."""

import io
import re
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError

from kpis.models import Actual, Kpi
from pdca.models import Evaluation, PublishedSnapshot
from priorities.models import Department, NarrativeBullet, PriorityItem
from priorities.roles import system_user
from shizuoka_dx.history import Change, entries
from systems.models import System
from tests.conftest import approve_all

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
    assert "実績値：324,081件 → 325,000件" in page


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


def _models_without_history() -> set[str]:
    """Our models that keep no history (background work, uploads waiting, the e-mail log):
    a bulk update of those loses nothing."""

    return {
        model.__name__
        for model in apps.get_models()
        if model._meta.app_label in {"priorities", "kpis", "systems", "pdca"}
        and getattr(model._meta, "simple_history_manager_attribute", None) is None
        and not model.__name__.startswith("Historical")
    }


def test_app_code_never_bypasses_the_history_with_bulk_writes():
    """Bulk writes only through simple-history's helpers, which write a history row for each
    object (shizuoka_dx.history.create_all_recorded / update_all_recorded). A plain
    ``.update()`` is allowed only on a model that keeps no history, named on its line."""
    unrecorded = _models_without_history()
    assert {"BackgroundJob", "EmailMessageRecord"} <= unrecorded
    assert "Round" not in unrecorded and "Evaluation" not in unrecorded
    offenders = []
    for app in ["priorities", "kpis", "systems", "pdca", "shizuoka_dx"]:
        for path in Path(settings.BASE_DIR, app).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            lines = path.read_text(encoding="utf-8").splitlines()
            for number, line in enumerate(lines, 1):
                for pattern in [
                    r"\)\.update\(",
                    r"\.objects\.update\(",
                    r"bulk_create(?!_with_history)",
                    r"bulk_update(?!_with_history)",
                ]:
                    if not re.search(pattern, line):
                        continue
                    # The model the statement starts from: this line or the few above it
                    # (a statement the formatter split over lines).
                    statement = " ".join(lines[max(0, number - 5) : number])
                    models_named = re.findall(r"(\w+)\.objects\.", statement)
                    named = models_named[-1] if models_named else None
                    if "update" in pattern and named in unrecorded:
                        continue
                    offenders.append(
                        f"{path.relative_to(settings.BASE_DIR)}:{number}: {line.strip()}"
                    )
    assert offenders == []


def test_a_kpi_history_lists_the_definition_too(client, dx_staff):
    kpi = Kpi.objects.get(code="1-3-K02")
    kpi.name = "発信までの時間"
    kpi.save()
    client.force_login(dx_staff)
    page = client.get("/staff/kpis/1-3-K02/").content.decode()
    assert "KPIの定義を変更" in page


# ---- many-to-many changes, one entry per change, no empty entries -------------------------


def admin_form_data(client, url, *, inlines=()):
    """The admin change form as it stands, ready to post (inline rows left untouched)."""
    form = client.get(url).context["adminform"].form
    data = {}
    for name, value in form.initial.items():
        if value is None:
            continue
        if isinstance(value, list | tuple):
            value = [getattr(v, "pk", v) for v in value]
        elif isinstance(value, bool):
            value = "on" if value else ""
        data[name] = value
    for prefix in inlines:
        data.update({f"{prefix}-TOTAL_FORMS": 0, f"{prefix}-INITIAL_FORMS": 0})
    data["change_reason"] = "所管課の変更"  # every admin save says why
    return data


@pytest.fixture
def superuser_dx_staff(dx_staff):
    dx_staff.is_superuser = True
    dx_staff.save()
    return dx_staff


def test_changing_an_items_departments_in_the_admin_is_one_readable_entry(
    client, superuser_dx_staff
):
    client.force_login(superuser_dx_staff)
    item = PriorityItem.objects.get(code="1-3")
    url = f"/admin/priorities/priorityitem/{item.pk}/change/"
    data = admin_form_data(client, url, inlines=["bullets", "initiatives", "tools"])
    data["departments"] = [
        Department.objects.get(name=name).pk for name in ["危機管理課", "広報課"]
    ]
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    # The admin saves the item, then removes 河川課 and adds 広報課: three rows …
    rows = PriorityItem.history.filter(id=item.pk, history_user=superuser_dx_staff)
    assert rows.count() == 3
    # … shown as one entry that says what changed.
    response = client.get("/staff/items/1-3/")
    mine = [e for e in response.context["history"] if e.who == "dx-staff"]
    assert [(e.action, e.changes) for e in mine] == [
        ("変更", [Change("所管課", "危機管理課、河川課", "危機管理課、広報課")])
    ]
    history = response.content.decode().split('id="history"')[1]
    assert "所管課：危機管理課、河川課 → 危機管理課、広報課" in history


def test_a_save_that_changes_nothing_makes_no_entry(client, dx_staff):
    item = PriorityItem.objects.get(code="1-1")
    item._history_user = dx_staff
    item.save()
    item.departments.set(list(item.departments.all()))
    client.force_login(dx_staff)
    history = client.get("/staff/items/1-1/").context["history"]
    assert [e for e in history if e.who == "dx-staff"] == []


def test_changes_with_different_reasons_stay_apart(dx_staff):
    item = PriorityItem.objects.get(code="1-1")
    save_recorded_title(item, dx_staff, "第1の修正", "一つ目の理由")
    save_recorded_title(item, dx_staff, "第2の修正", "二つ目の理由")
    found = entries(PriorityItem.history.filter(id=item.pk), describe=lambda r: "重点項目")
    assert [(e.reason, e.changes[0].new) for e in found[:2]] == [
        ("二つ目の理由", "第2の修正"),
        ("一つ目の理由", "第1の修正"),
    ]


def save_recorded_title(item, user, title, reason):
    from shizuoka_dx.history import save_recorded

    item.title = title
    save_recorded(item, user=user, reason=reason)


def test_membership_changes_from_either_side_are_recorded_with_their_user(
    dx_staff, django_user_model
):
    department = Department.objects.get(name="広報課")
    newcomer = django_user_model.objects.create_user("newcomer", last_name="新人")
    administrator = django_user_model.objects.create_user("root", last_name="管理者")
    before = department.history.count()

    department._history_user = dx_staff
    department.members.add(newcomer)  # from the department's side
    newcomer._history_user = administrator
    newcomer._change_reason = "異動"
    newcomer.departments.remove(department)  # from the user's side
    newcomer.departments.add(department)
    newcomer.departments.clear()

    everything = list(department.history.order_by("history_date", "history_id"))
    rows = everything[before:]
    assert [(r.history_user, r.history_change_reason) for r in rows] == [
        (dx_staff, None),
        (administrator, "異動"),
        (administrator, "異動"),
        (administrator, "異動"),
    ]
    members = [{m.user.username for m in r.members.all()} for r in rows]
    assert [("newcomer" in names) for names in members] == [True, False, True, False]
    # Read back: one entry each (the user's three changes came moments apart, with one reason).
    found = entries(everything, describe=lambda r: "所管課")[:2]
    assert [(e.who, e.reason, e.changes) for e in found] == [
        ("管理者", "異動", [Change("所属する職員", "新人", "（なし）")]),
        ("dx-staff", "", [Change("所属する職員", "（なし）", "新人")]),
    ]


def test_the_admin_history_page_shows_membership_changes(
    client, superuser_dx_staff, head_a, django_user_model
):
    newcomer = django_user_model.objects.create_user("newcomer", last_name="新人")
    department = Department.objects.get(name="危機管理課")
    client.force_login(superuser_dx_staff)
    url = f"/admin/priorities/department/{department.pk}/change/"
    data = admin_form_data(client, url)
    data["members"] = [*data.get("members", []), newcomer.pk]
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    latest = department.history.latest()
    assert latest.history_user == superuser_dx_staff
    page = client.get(f"/admin/priorities/department/{department.pk}/history/")
    assert page.status_code == 200
    changes = page.content.decode().split('id="change-history"')[1]
    assert "<strong>所属する職員：</strong>kiki-head → kiki-head、新人" in changes


# ---- commands name the person they act for ---------------------------------------------


def test_publish_command_records_the_user_given(dx_staff):
    approve_all(2025)
    call_command("publish_fiscal_year", "R7", "--user", "dx-staff")
    snapshot = PublishedSnapshot.objects.get(fiscal_year=2025)
    assert snapshot.published_by == dx_staff
    assert snapshot.history.get().history_user == dx_staff
    published = Evaluation.history.filter(fiscal_year=2025, history_change_reason="公表")
    assert published.exists()
    assert {r.history_user for r in published} == {dx_staff}


def test_commands_without_user_record_the_system_account(client, dx_staff, tmp_path):
    approve_all(2025)
    call_command("publish_fiscal_year", "R7")
    path = tmp_path / "a.csv"
    path.write_text("kpi_code,fiscal_year,value\r\n1-1-K02,R6,900\r\n", encoding="utf-8")
    call_command("import_actuals", str(path))
    system = system_user()
    assert PublishedSnapshot.history.get(fiscal_year=2025).history_user == system
    assert Actual.history.get(kpi__code="1-1-K02", history_type="+").history_user == system
    client.force_login(dx_staff)
    history = client.get("/staff/kpis/1-1-K02/").context["history"]
    assert [e.who for e in history if e.what.endswith("の実績")] == ["システム（コマンド）"]


def test_import_command_records_the_user_given(head_a, tmp_path):
    path = tmp_path / "a.csv"
    path.write_text("kpi_code,fiscal_year,value\r\n1-3-K02,R7,10\r\n", encoding="utf-8")
    call_command("import_actuals", str(path), "--user", "kiki-head")
    record = Actual.history.get(kpi__code="1-3-K02", fiscal_year=2025)
    assert record.history_user == head_a
    assert Actual.objects.get(kpi__code="1-3-K02", fiscal_year=2025).entered_by == head_a


def test_commands_refuse_an_unknown_user(tmp_path):
    path = tmp_path / "a.csv"
    path.write_text("kpi_code,fiscal_year,value\r\n1-1-K02,R6,900\r\n", encoding="utf-8")
    with pytest.raises(CommandError, match="ユーザー「nobody」は登録されていないか"):
        call_command("import_actuals", str(path), "--user", "nobody")
    with pytest.raises(CommandError, match="ユーザー「nobody」は登録されていないか"):
        call_command("publish_fiscal_year", "R7", "--user", "nobody")
    assert not Actual.objects.filter(kpi__code="1-1-K02", fiscal_year=2024).exists()


def test_demo_users_membership_is_recorded_as_the_system_account(settings):
    settings.DEBUG = True
    call_command("create_demo_users", stdout=io.StringIO())
    latest = Department.objects.get(name="危機管理課").history.latest()
    assert latest.history_user == system_user()
    assert latest.history_change_reason == "デモユーザーの所属を設定"
    assert {m.user.username for m in latest.members.all()} >= {"kiki-head"}


def test_a_long_reason_is_shortened_for_the_history_not_refused():
    """simple-history keeps a reason in 100 characters; PostgreSQL refuses longer ones."""
    reason = "議会への報告の日程が決まっているため、" * 8
    call_command("publish_fiscal_year", "R7", "--force", reason)
    snapshot = PublishedSnapshot.objects.get(fiscal_year=2025)
    assert snapshot.forced_reason == reason  # the page shows the whole reason
    recorded = snapshot.history.get().history_change_reason
    assert len(recorded) == 100
    assert recorded.startswith("令和7年度（2025年度）を公表（第1版）") and recorded.endswith("…")


def test_many_to_many_history_keeps_the_page_at_a_fixed_number_of_queries(client, dx_staff):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(dx_staff)
    item = PriorityItem.objects.get(code="1-3")

    def queries():
        with CaptureQueriesContext(connection) as context:
            assert client.get("/staff/items/1-3/").status_code == 200
        return len(context.captured_queries)

    before = queries()
    koho = Department.objects.get(name="広報課")
    item._history_user = dx_staff
    for turn in range(4):
        item._change_reason = f"追加{turn}"
        item.departments.add(koho)
        item._change_reason = f"削除{turn}"
        item.departments.remove(koho)
    history = client.get("/staff/items/1-3/").context["history"]
    assert len([e for e in history if e.who == "dx-staff"]) == 8
    assert queries() == before


def test_load_plan_records_who_loaded_the_plan(tmp_path, settings):
    item = PriorityItem.objects.get(code="1-1")
    item.title = "一時的に変えた題名"
    item._history_user = None
    item._change_reason = "計画データ（fixtures/）から読み込み"  # as if an earlier load
    item.save()
    call_command("load_plan")
    latest = PriorityItem.history.filter(id=item.pk).latest("history_date")
    assert latest.title != "一時的に変えた題名"
    assert latest.history_user.username == "system"
    assert latest.history_change_reason == "計画データ（fixtures/）から読み込み"
