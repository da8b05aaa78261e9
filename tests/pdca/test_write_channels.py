"""Every channel that writes the yearly cycle's records obeys the same rules.

Actuals are written from the KPI page, the Excel upload (preview, then confirm), the
``import_actuals`` command, the admin (add, change, delete, history revert), the admin import and
the demo loader; cost records from the admin and the admin import. For each channel:
(a) a year held by an approved evaluation is refused, (b) a year outside the KPI's window is
refused, (c) a head of another department is refused (where the channel admits heads), (d) a
stale version is refused and the newer figure kept, (e) a success records who and why and
clears the demo flag. Evaluations and publications follow the workflow only (four eyes, the
plan's years, versioned snapshots); the admin cannot walk around it.

Each test asserts what a person would notice: the status code, the Japanese sentence shown,
and that nothing in the database changed.
"""

import io
from decimal import Decimal

import pytest
from django.contrib.admin.models import LogEntry
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone

from kpis.models import Actual, Kpi
from pdca.admin import ActualAdmin
from pdca.demo import load_demo_cycle
from pdca.demo_actuals import load_demo_actuals, remove_demo_data
from pdca.models import Evaluation, PublishedSnapshot
from priorities.models import PriorityItem
from priorities.roles import system_user
from systems.models import CostRecord, System
from tests.conftest import approve_all

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    """Each test makes its users; hashing their passwords the slow, safe way adds nothing here."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


R7 = 2025
LOCKED = "承認済みのため、実績は変更できません"
OUT_OF_WINDOW = "計画の期間外です"
NOT_YOURS = "この重点項目の実績は入力できません"
STALE = "別の人がこの実績を登録・修正しました"
COST_LOCKED = "承認済みのため、この年度の経費は変更できません"
COST_STALE = "別の人がこの経費を登録・修正しました"
DISASTER_SYSTEM = "静岡市災害時総合情報システム"  # Form ② of item 1-3


# ---- set-up helpers (direct ORM: the state before a channel is tried) ----------------------


def approve(code="1-3", year=R7, **extra):
    return Evaluation.objects.create(
        item=PriorityItem.objects.get(code=code),
        fiscal_year=year,
        status=Evaluation.Status.APPROVED,
        qualitative="承認済みの評価",
        **extra,
    )


def actual(kpi_code="1-3-K02", year=R7, value=10, **extra):
    return Actual.objects.create(
        kpi=Kpi.objects.get(code=kpi_code), fiscal_year=year, value=value, **extra
    )


def cost(year=R7, thousand_yen=1000, **extra):
    return CostRecord.objects.create(
        system=System.objects.get(name=DISASTER_SYSTEM),
        fiscal_year=year,
        kind=CostRecord.Kind.OPERATING,
        thousand_yen=thousand_yen,
        **extra,
    )


def value_of(kpi_code="1-3-K02", year=R7):
    found = Actual.objects.filter(kpi__code=kpi_code, fiscal_year=year).first()
    return found.value if found else None


def latest_history(record):
    return type(record).history.filter(id=record.pk).latest("history_date")


def page(response) -> str:
    return response.content.decode()


def login(client, user) -> Client:
    client.force_login(user)
    return client


def assert_recorded(record, *, user, reason):
    """A person's (or the system account's) write: who, why, and no longer demo."""
    record.refresh_from_db()
    assert record.is_demo is False
    assert record.entered_by == user
    history = latest_history(record)
    assert history.history_user == user
    assert history.history_change_reason == reason


# ---- channel: the KPI page (/staff/kpis/<code>/) -------------------------------------------


def post_kpi(client, kpi_code="1-3-K02", *, fy="R7", value="8", version=""):
    return client.post(
        f"/staff/kpis/{kpi_code}/", {"fiscal_year": fy, "value": value, "version": version}
    )


class TestKpiPage:
    def test_an_approved_year_is_refused(self, client, head_a):
        approve()
        response = post_kpi(login(client, head_a))
        assert response.status_code == 400
        assert LOCKED in page(response)
        assert not Actual.objects.exists()

    def test_a_year_outside_the_kpis_window_is_refused(self, client, head_a):
        for fy in ("R5", "R12"):  # 1-3-K02 runs from R6 to R9
            response = post_kpi(login(client, head_a), fy=fy)
            assert response.status_code == 400
            assert OUT_OF_WINDOW in page(response)
        assert not Actual.objects.exists()

    def test_a_head_of_another_department_is_refused(self, client, head_b):
        existing = actual()
        response = post_kpi(login(client, head_b), version=existing.version)
        assert response.status_code == 404
        assert value_of() == Decimal(10)

    def test_a_stale_version_is_refused_and_the_newer_figure_kept(self, client, head_a, dx_staff):
        existing = actual()
        other = login(Client(), dx_staff)
        assert post_kpi(other, value="12", version=existing.version).status_code == 302
        response = post_kpi(login(client, head_a), value="8", version=existing.version)
        assert response.status_code == 400
        assert STALE in page(response)
        assert "現在の値は「12」" in page(response)
        assert value_of() == Decimal(12)

    def test_a_new_entry_over_an_existing_one_shows_it_first(self, client, head_a):
        actual()
        response = post_kpi(login(client, head_a), value="8", version="")
        assert response.status_code == 400
        assert "の実績はすでに「10」と入力されています" in page(response)
        assert value_of() == Decimal(10)

    def test_a_success_records_who_and_why_and_clears_the_demo_flag(self, client, head_a):
        demo = actual(is_demo=True)
        response = post_kpi(login(client, head_a), value="8", version=demo.version)
        assert response.status_code == 302
        assert value_of() == Decimal(8)
        assert_recorded(demo, user=head_a, reason="KPIの画面で入力")


# ---- channel: the Excel upload (/staff/actuals/import/preview/, then /confirm/) ------------

CSV_HEAD = "kpi_code,fiscal_year,value,note\r\n"


def preview(client, rows: str, name="actuals.csv"):
    upload = SimpleUploadedFile(name, (CSV_HEAD + rows).encode(), content_type="text/csv")
    return client.post("/staff/actuals/import/preview/", {"file": upload})


def confirm(client):
    return client.post("/staff/actuals/import/confirm/")


class TestExcelUpload:
    def test_an_approved_year_is_refused_at_preview(self, client, head_a):
        approve()
        response = preview(login(client, head_a), "1-3-K02,R7,8,\r\n")
        assert response.status_code == 400
        assert "2行目（1-3-K02 の令和7年度（2025年度））: 1-3 の令和7年度の評価は" in page(response)
        assert LOCKED in page(response)
        assert not Actual.objects.exists()

    def test_a_year_approved_between_preview_and_confirm_is_refused(self, client, head_a):
        login(client, head_a)
        assert preview(client, "1-3-K02,R7,8,\r\n").status_code == 200
        approve()
        response = confirm(client)
        assert response.status_code == 400
        assert LOCKED in page(response)
        assert not Actual.objects.exists()

    def test_a_year_outside_the_kpis_window_is_refused(self, client, head_a):
        response = preview(login(client, head_a), "1-3-K02,R12,8,\r\n")
        assert response.status_code == 400
        assert OUT_OF_WINDOW in page(response)
        assert not Actual.objects.exists()

    def test_a_head_of_another_department_is_refused(self, client, head_b):
        response = preview(login(client, head_b), "1-3-K02,R7,8,\r\n")
        assert response.status_code == 400
        assert "担当する重点項目のKPIではないため" in page(response)
        assert not Actual.objects.exists()

    def test_a_figure_saved_after_the_preview_is_not_overwritten(self, client, head_a, dx_staff):
        """The issue's lost update: preview 1-3-K04 R9 = 11, DX staff save 99 on the KPI page,
        confirm the preview: refused, the row listed, 99 kept."""
        login(client, head_a)
        response = preview(client, "1-3-K04,R9,11,\r\n")
        assert response.status_code == 200
        assert "取り込むと 追加 1 件" in page(response)
        other = login(Client(), dx_staff)
        assert post_kpi(other, "1-3-K04", fy="R9", value="99").status_code == 302
        response = confirm(client)
        assert response.status_code == 400
        assert "2行目（1-3-K04 の令和9年度（2027年度））" in page(response)
        assert (
            "プレビューで確認したあとに、別の人がこの実績を登録しました（現在の値「99」）"
            in page(response)
        )
        assert "「修正」から開いてください" not in page(response)  # the KPI page's advice
        assert value_of("1-3-K04", 2027) == Decimal(99)

    def test_a_figure_corrected_after_the_preview_is_not_overwritten(
        self, client, head_a, dx_staff
    ):
        existing = actual()
        login(client, head_a)
        assert preview(client, "1-3-K02,R7,8,\r\n").status_code == 200
        other = login(Client(), dx_staff)
        assert post_kpi(other, value="12", version=existing.version).status_code == 302
        response = confirm(client)
        assert response.status_code == 400
        assert "2行目（1-3-K02 の令和7年度（2025年度））" in page(response)
        assert (
            "プレビューで確認したあとに、別の人がこの実績を修正しました（現在の値「12」）"
            in page(response)
        )
        assert value_of() == Decimal(12)

    def test_a_success_records_who_and_why_and_clears_the_demo_flag(self, client, head_a):
        demo = actual(is_demo=True)
        login(client, head_a)
        response = preview(client, "1-3-K02,R7,8,\r\n")
        assert "1-3-K02 令和7年度（2025年度） 実績値 10（デモ） → 8" in page(response)
        assert value_of() == Decimal(10)  # a preview saves nothing
        assert confirm(client).status_code == 302
        assert value_of() == Decimal(8)
        assert_recorded(demo, user=head_a, reason="取り込み（actuals.csv）")


# ---- channel: the import_actuals command ---------------------------------------------------


def csv_file(tmp_path, rows: str, name="actuals.csv"):
    path = tmp_path / name
    path.write_text(CSV_HEAD + rows, encoding="utf-8")
    return path


def import_command(path, *args):
    with pytest.raises(CommandError) as refused:
        call_command("import_actuals", str(path), *args)
    message = str(refused.value)
    assert "何も保存していません" in message
    return message


class TestImportActualsCommand:
    def test_an_approved_year_is_refused(self, tmp_path):
        approve()
        message = import_command(csv_file(tmp_path, "1-3-K02,R7,8,\r\n"))
        assert LOCKED in message
        assert not Actual.objects.exists()

    def test_a_year_outside_the_kpis_window_is_refused(self, tmp_path):
        message = import_command(csv_file(tmp_path, "1-3-K02,R12,8,\r\n"))
        assert OUT_OF_WINDOW in message
        assert not Actual.objects.exists()

    def test_a_user_named_with_user_imports_only_their_departments_kpis(self, tmp_path, head_a):
        path = csv_file(tmp_path, "1-3-K02,R7,8,\r\n1-4-K01,R7,50,\r\n")
        message = import_command(path, "--user", "kiki-head")
        assert f"3行目（1-4-K01 の令和7年度（2025年度））: {NOT_YOURS}" in message
        assert not Actual.objects.exists()  # the allowed row is not saved either

    def test_an_unknown_user_is_refused(self, tmp_path):
        with pytest.raises(CommandError, match="ユーザー「nobody」は登録されていないか"):
            call_command(
                "import_actuals", str(csv_file(tmp_path, "1-3-K02,R7,8,\r\n")), "--user", "nobody"
            )
        assert not Actual.objects.exists()

    def test_without_user_the_system_account_is_recorded(self, tmp_path):
        demo = actual(is_demo=True)
        call_command("import_actuals", str(csv_file(tmp_path, "1-3-K02,R7,8,\r\n")))
        assert value_of() == Decimal(8)
        assert_recorded(demo, user=system_user(), reason="取り込み（actuals.csv）")

    def test_with_user_that_person_is_recorded(self, tmp_path, head_a):
        demo = actual(is_demo=True)
        path = csv_file(tmp_path, "1-3-K02,R7,8,\r\n")
        call_command("import_actuals", str(path), "--user", "kiki-head")
        assert_recorded(demo, user=head_a, reason="取り込み（actuals.csv）")


# ---- channel: the admin (/admin/kpis/actual/) ----------------------------------------------


def admin_client(user) -> Client:
    return login(Client(), user)


def admin_add_actual(client, kpi_code="1-3-K02", *, year=R7, value="8", reason="訂正依頼"):
    return client.post(
        "/admin/kpis/actual/add/",
        {
            "kpi": Kpi.objects.get(code=kpi_code).pk,
            "fiscal_year": year,
            "value": value,
            "stage": "",
            "note": "",
            "change_reason": reason,
            "seen_version": "",
        },
    )


def admin_change_actual(client, record, *, seen, value="8", reason="訂正依頼", **extra):
    return client.post(
        f"/admin/kpis/actual/{record.pk}/change/",
        {
            "value": value,
            "stage": "",
            "note": "",
            "change_reason": reason,
            "seen_version": seen,
            **extra,
        },
    )


def filled_in(response) -> dict:
    """The admin change form as the browser would post it back: every field's current value,
    with the inline formsets' management forms."""
    data = {}

    def add(form):
        for bound in form:
            value = bound.value()
            if value is None or bound.field.disabled:
                continue
            if isinstance(value, list):
                continue
            data[bound.html_name] = value

    add(response.context["adminform"].form)
    for inline in response.context.get("inline_admin_formsets", []):
        add(inline.formset.management_form)
        for form in inline.formset.forms:
            add(form)
    return data


def admin_errors(response) -> str:
    """What the admin shows on a refused form (it answers 200 with the form again)."""
    assert response.status_code == 200, response.status_code
    form = response.context["adminform"].form
    return " ".join(str(e) for errors in form.errors.values() for e in errors)


class TestAdminActuals:
    def test_an_approved_year_is_refused_on_add_change_and_delete(self, dx_staff):
        client = admin_client(dx_staff)
        approve()
        response = admin_add_actual(client)
        assert LOCKED in admin_errors(response)
        assert LOCKED in page(response)
        assert not Actual.objects.exists()

        existing = actual()
        response = admin_change_actual(client, existing, seen=existing.version)
        assert LOCKED in admin_errors(response)
        assert value_of() == Decimal(10)

        url = f"/admin/kpis/actual/{existing.pk}/delete/"
        assert client.get(url).status_code == 403
        refused = client.post(url, {"post": "yes"})
        assert refused.status_code == 403
        assert LOCKED in page(refused)  # the reason, not a bare "not allowed"
        assert Actual.objects.filter(pk=existing.pk).exists()

    def test_a_year_outside_the_kpis_window_is_refused(self, dx_staff):
        client = admin_client(dx_staff)
        for year in (2023, 2030):  # 1-3-K02 runs from 2024 to 2027
            assert OUT_OF_WINDOW in admin_errors(admin_add_actual(client, year=year))
        assert not Actual.objects.exists()

    def test_a_department_head_has_no_admin_writes(self, head_a):
        head_a.is_staff = True  # even if someone let them into the admin
        head_a.save()
        client = admin_client(head_a)
        assert admin_add_actual(client).status_code == 403
        existing = actual()
        response = admin_change_actual(client, existing, seen=existing.version)
        assert response.status_code == 403
        assert (
            client.post(f"/admin/kpis/actual/{existing.pk}/delete/", {"post": "yes"}).status_code
            == 403
        )
        assert value_of() == Decimal(10)

    def test_a_stale_version_is_refused_and_the_newer_figure_kept(self, dx_staff, head_a):
        existing = actual()
        client = admin_client(dx_staff)
        form = client.get(f"/admin/kpis/actual/{existing.pk}/change/").context["adminform"].form
        seen = form["seen_version"].value()
        assert seen == existing.version
        assert (
            post_kpi(login(Client(), head_a), value="12", version=existing.version).status_code
            == 302
        )
        response = admin_change_actual(client, existing, seen=seen)
        assert STALE in admin_errors(response)
        assert value_of() == Decimal(12)

    def test_a_reason_is_required_and_the_version_and_year_cannot_be_typed(self, dx_staff):
        existing = actual()
        client = admin_client(dx_staff)
        response = admin_change_actual(client, existing, seen=existing.version, reason="")
        assert "このフィールドは必須です" in admin_errors(response)
        assert value_of() == Decimal(10)
        response = admin_change_actual(
            client, existing, seen=existing.version, version=99, fiscal_year=2026
        )
        assert response.status_code == 302
        existing.refresh_from_db()
        assert (existing.fiscal_year, existing.version, existing.value) == (R7, 2, Decimal(8))

    def test_a_success_records_who_and_why_and_clears_the_demo_flag(self, dx_staff):
        demo = actual(is_demo=True)
        client = admin_client(dx_staff)
        response = admin_change_actual(client, demo, seen=demo.version, reason="所管課からの訂正")
        assert response.status_code == 302
        assert value_of() == Decimal(8)
        assert_recorded(demo, user=dx_staff, reason="管理画面で変更: 所管課からの訂正")

        response = admin_add_actual(client, "1-3-K01", value="60", reason="新規の報告")
        assert response.status_code == 302
        added = Actual.objects.get(kpi__code="1-3-K01", fiscal_year=R7)
        assert_recorded(added, user=dx_staff, reason="管理画面で変更: 新規の報告")

        url = f"/admin/kpis/actual/{demo.pk}/delete/"
        assert client.post(url, {"post": "yes"}).status_code == 302
        assert not Actual.objects.filter(pk=demo.pk).exists()
        gone = Actual.history.filter(id=demo.pk).latest("history_date")
        assert (gone.history_type, gone.history_user) == ("-", dx_staff)
        assert gone.history_change_reason == "管理画面で削除"

    def test_reverting_from_the_history_goes_through_the_same_rules(self, dx_staff):
        existing = actual()
        client = admin_client(dx_staff)
        assert admin_change_actual(client, existing, seen=existing.version).status_code == 302
        first = Actual.history.filter(id=existing.pk).earliest("history_date")
        approve()
        url = f"/admin/kpis/actual/{existing.pk}/history/{first.history_id}/"
        data = {**filled_in(client.get(url)), "change_reason": "戻す"}
        response = client.post(url, data)
        assert LOCKED in admin_errors(response)
        assert value_of() == Decimal(8)

    def test_reverting_from_the_history_writes_through_the_service(self, dx_staff):
        existing = actual()
        client = admin_client(dx_staff)
        assert admin_change_actual(client, existing, seen=existing.version).status_code == 302
        first = Actual.history.filter(id=existing.pk).earliest("history_date")
        url = f"/admin/kpis/actual/{existing.pk}/history/{first.history_id}/"
        data = filled_in(client.get(url))
        assert data["value"] == Decimal(10)
        data["change_reason"] = "誤って変更したため戻す"
        response = client.post(url, data)
        assert response.status_code == 302, admin_errors(response)
        assert value_of() == Decimal(10)
        assert_recorded(existing, user=dx_staff, reason="管理画面で変更: 誤って変更したため戻す")
        assert existing.version == 3

    @pytest.mark.parametrize("step", ["add", "change", "delete"])
    def test_a_year_approved_while_the_form_was_checked_is_refused_and_nothing_logged(
        self, dx_staff, monkeypatch, step
    ):
        """The form checks with the service, then someone approves the year before the save:
        the save is refused, the page says why, and no "added/changed/deleted" is claimed."""
        existing = None if step == "add" else actual()

        def approved_meanwhile(check):
            def wrapper(*args, **kwargs):
                allowed = check(*args, **kwargs)
                if not Evaluation.objects.exists():
                    approve()
                return allowed

            return wrapper

        name = "log_deletions" if step == "delete" else "refusal"  # just before the write
        monkeypatch.setattr(ActualAdmin, name, approved_meanwhile(getattr(ActualAdmin, name)))
        client = admin_client(dx_staff)
        if step == "add":
            response = admin_add_actual(client)
        elif step == "change":
            response = admin_change_actual(client, existing, seen=existing.version)
        else:
            url = f"/admin/kpis/actual/{existing.pk}/delete/"
            response = client.post(url, {"post": "yes"})
        assert response.status_code == 302
        shown = [str(m) for m in client.get(response.url).context["messages"]]
        assert len(shown) == 1 and LOCKED in shown[0], shown
        assert value_of() == (None if step == "add" else Decimal(10))
        assert not LogEntry.objects.exists()

    def test_a_kpi_with_a_locked_actual_can_still_be_saved_and_the_actual_is_untouched(
        self, dx_staff
    ):
        approve()
        locked = actual()
        client = admin_client(dx_staff)
        url = f"/admin/kpis/kpi/{locked.kpi.pk}/change/"
        data = filled_in(client.get(url))
        data["name"] = "サイト上で災害関連情報を発信するまでの時間（名称を修正）"
        assert "actuals-TOTAL_FORMS" in data
        data["actuals-0-value"] = "999"  # read-only inline: a typed value is ignored
        data["change_reason"] = "名称の誤記を訂正"
        response = client.post(url, data)
        assert response.status_code == 302, admin_errors(response)
        assert Kpi.objects.get(pk=locked.kpi.pk).name.endswith("（名称を修正）")
        assert value_of() == Decimal(10)


# ---- channel: the admin import (/admin/<app>/<model>/import/, then process_import/) --------


def admin_import(client, model: str, text: str):
    """Step 1 (upload, dry run, preview); step 2 (process_import) only if the preview offers it.
    Returns (preview response, confirm response or None)."""
    upload = SimpleUploadedFile("import.csv", text.encode(), content_type="text/csv")
    preview_response = client.post(
        f"/admin/{model}/import/", {"resource": 0, "format": 0, "import_file": upload}
    )
    assert preview_response.status_code == 200
    confirm_form = preview_response.context.get("confirm_form")
    if confirm_form is None:
        return preview_response, None
    data = {name: confirm_form[name].value() for name in confirm_form.fields}
    return preview_response, client.post(f"/admin/{model}/process_import/", data)


def import_errors(response) -> str:
    result = response.context["result"]
    lines = [str(error.error) for _, errors in result.row_errors() for error in errors]
    lines += [str(e) for row in result.invalid_rows for e in row.error_dict.values()]
    return " ".join(lines)


class TestAdminImportActuals:
    def test_an_approved_year_is_refused(self, dx_staff):
        approve()
        response, confirmed = admin_import(
            admin_client(dx_staff), "kpis/actual", CSV_HEAD + "1-3-K02,R7,8,\r\n"
        )
        assert confirmed is None
        assert LOCKED in import_errors(response)
        assert LOCKED in page(response)
        assert not Actual.objects.exists()

    def test_a_year_outside_the_kpis_window_is_refused(self, dx_staff):
        response, confirmed = admin_import(
            admin_client(dx_staff), "kpis/actual", CSV_HEAD + "1-3-K02,R12,8,\r\n"
        )
        assert confirmed is None
        assert OUT_OF_WINDOW in import_errors(response)
        assert not Actual.objects.exists()

    def test_a_department_head_cannot_import(self, head_b):
        head_b.is_staff = True
        head_b.save()
        client = admin_client(head_b)
        upload = SimpleUploadedFile("a.csv", (CSV_HEAD + "1-3-K02,R7,8,\r\n").encode())
        response = client.post(
            "/admin/kpis/actual/import/", {"resource": 0, "format": 0, "import_file": upload}
        )
        assert response.status_code == 403
        assert not Actual.objects.exists()

    def test_a_row_with_an_old_version_is_refused(self, dx_staff, head_a):
        existing = actual()
        assert (
            post_kpi(login(Client(), head_a), value="12", version=existing.version).status_code
            == 302
        )
        text = "kpi_code,fiscal_year,value,note,version\r\n1-3-K02,R7,8,,1\r\n"
        response, confirmed = admin_import(admin_client(dx_staff), "kpis/actual", text)
        assert confirmed is None
        assert STALE in import_errors(response)
        assert value_of() == Decimal(12)

    def test_a_figure_saved_between_preview_and_confirm_is_refused(self, dx_staff, head_a):
        existing = actual()
        client = admin_client(dx_staff)
        text = f"kpi_code,fiscal_year,value,note,version\r\n1-3-K02,R7,8,,{existing.version}\r\n"
        upload = SimpleUploadedFile("import.csv", text.encode(), content_type="text/csv")
        response = client.post(
            "/admin/kpis/actual/import/", {"resource": 0, "format": 0, "import_file": upload}
        )
        confirm_form = response.context["confirm_form"]
        data = {name: confirm_form[name].value() for name in confirm_form.fields}
        assert (
            post_kpi(login(Client(), head_a), value="12", version=existing.version).status_code
            == 302
        )
        response = client.post("/admin/kpis/actual/process_import/", data, follow=True)
        assert response.status_code == 200
        shown = [str(m) for m in response.context["messages"]]
        assert shown[0].startswith("確認したあとにデータが変わったため、取り込みませんでした")
        assert any(line.startswith("2行目: ") and STALE in line for line in shown), shown
        assert not any("完了" in line or "finished" in line for line in shown), shown
        assert value_of() == Decimal(12)

    def test_a_success_records_who_and_why_and_clears_the_demo_flag(self, dx_staff):
        demo = actual(is_demo=True)
        text = f"kpi_code,fiscal_year,value,note,version\r\n1-3-K02,R7,8,,{demo.version}\r\n"
        _, confirmed = admin_import(admin_client(dx_staff), "kpis/actual", text)
        assert confirmed is not None and confirmed.status_code == 302
        assert value_of() == Decimal(8)
        assert_recorded(demo, user=dx_staff, reason="管理画面から取り込み")


# ---- cost records: the admin and the admin import ------------------------------------------


def cost_value(year=R7):
    found = CostRecord.objects.filter(system__name=DISASTER_SYSTEM, fiscal_year=year).first()
    return found.thousand_yen if found else None


def admin_add_cost(client, *, year=R7, amount="1200", reason="決算で確定"):
    return client.post(
        "/admin/systems/costrecord/add/",
        {
            "system": System.objects.get(name=DISASTER_SYSTEM).pk,
            "fiscal_year": year,
            "kind": CostRecord.Kind.OPERATING,
            "basis": CostRecord.Basis.ACTUAL,
            "thousand_yen": amount,
            "note": "",
            "change_reason": reason,
            "seen_version": "",
        },
    )


def admin_change_cost(client, record, *, seen, amount="1200", reason="決算で確定", **extra):
    return client.post(
        f"/admin/systems/costrecord/{record.pk}/change/",
        {
            "thousand_yen": amount,
            "note": "",
            "change_reason": reason,
            "seen_version": seen,
            **extra,
        },
    )


COST_CSV = "system,fiscal_year,kind,thousand_yen,note,version\r\n"


def cost_row(year=R7, amount="1200", version=""):
    return f"{DISASTER_SYSTEM},{year},operating,{amount},,{version}\r\n"


class TestAdminCosts:
    def test_an_approved_year_is_refused_on_add_change_and_delete(self, dx_staff):
        client = admin_client(dx_staff)
        approve()
        assert COST_LOCKED in admin_errors(admin_add_cost(client))
        assert not CostRecord.objects.exists()
        record = cost()
        response = admin_change_cost(client, record, seen=record.version)
        assert COST_LOCKED in admin_errors(response)
        url = f"/admin/systems/costrecord/{record.pk}/delete/"
        assert client.get(url).status_code == 403
        refused = client.post(url, {"post": "yes"})
        assert refused.status_code == 403
        assert COST_LOCKED in page(refused)
        assert cost_value() == Decimal(1000)

    def test_a_year_after_the_plan_is_refused(self, dx_staff):
        response = admin_add_cost(admin_client(dx_staff), year=2029)
        assert "計画の期間より後です" in admin_errors(response)
        assert not CostRecord.objects.exists()

    def test_a_department_head_has_no_admin_writes(self, head_a):
        head_a.is_staff = True
        head_a.save()
        client = admin_client(head_a)
        assert admin_add_cost(client).status_code == 403
        record = cost()
        assert admin_change_cost(client, record, seen=record.version).status_code == 403
        assert cost_value() == Decimal(1000)

    def test_a_stale_version_is_refused_and_the_newer_figure_kept(self, dx_staff):
        record = cost()
        client = admin_client(dx_staff)
        seen = client.get(f"/admin/systems/costrecord/{record.pk}/change/").context["adminform"]
        seen = seen.form["seen_version"].value()
        other = admin_client(dx_staff)
        assert admin_change_cost(other, record, seen=seen, amount="1500").status_code == 302
        response = admin_change_cost(client, record, seen=seen, amount="1200")
        assert COST_STALE in admin_errors(response)
        assert cost_value() == Decimal(1500)

    def test_the_year_and_version_cannot_be_typed(self, dx_staff):
        record = cost()
        response = admin_change_cost(
            admin_client(dx_staff), record, seen=record.version, fiscal_year=2026, version=99
        )
        assert response.status_code == 302
        record.refresh_from_db()
        assert (record.fiscal_year, record.version, record.thousand_yen) == (R7, 2, Decimal(1200))

    def test_a_success_records_who_and_why_and_clears_the_demo_flag(self, dx_staff):
        demo = cost(is_demo=True)
        client = admin_client(dx_staff)
        response = admin_change_cost(client, demo, seen=demo.version, reason="決算で確定")
        assert response.status_code == 302
        assert_recorded(demo, user=dx_staff, reason="管理画面で変更: 決算で確定")
        url = f"/admin/systems/costrecord/{demo.pk}/delete/"
        assert client.post(url, {"post": "yes"}).status_code == 302
        gone = CostRecord.history.filter(id=demo.pk).latest("history_date")
        assert (gone.history_type, gone.history_user) == ("-", dx_staff)
        assert gone.history_change_reason == "管理画面で削除"


class TestAdminImportCosts:
    def test_an_approved_year_is_refused(self, dx_staff):
        approve()
        response, confirmed = admin_import(
            admin_client(dx_staff), "systems/costrecord", COST_CSV + cost_row()
        )
        assert confirmed is None
        assert COST_LOCKED in import_errors(response)
        assert not CostRecord.objects.exists()

    def test_a_year_after_the_plan_is_refused(self, dx_staff):
        response, confirmed = admin_import(
            admin_client(dx_staff), "systems/costrecord", COST_CSV + cost_row(year=2029)
        )
        assert confirmed is None
        assert "計画の期間より後です" in import_errors(response)
        assert not CostRecord.objects.exists()

    def test_a_row_with_an_old_version_is_refused(self, dx_staff):
        record = cost()
        client = admin_client(dx_staff)
        assert admin_change_cost(client, record, seen=1, amount="1500").status_code == 302
        response, confirmed = admin_import(
            client, "systems/costrecord", COST_CSV + cost_row(version=1)
        )
        assert confirmed is None
        assert COST_STALE in import_errors(response)
        assert cost_value() == Decimal(1500)

    def test_a_success_records_who_and_why_and_clears_the_demo_flag(self, dx_staff):
        demo = cost(is_demo=True)
        _, confirmed = admin_import(
            admin_client(dx_staff), "systems/costrecord", COST_CSV + cost_row(version=1)
        )
        assert confirmed is not None and confirmed.status_code == 302
        assert cost_value() == Decimal(1200)
        assert_recorded(demo, user=dx_staff, reason="管理画面から取り込み")


# ---- evaluations and publications in the admin: read-only ----------------------------------


class TestAdminReadOnlyRecords:
    def test_the_admin_cannot_add_change_or_delete_an_evaluation(self, dx_staff):
        approved = approve()
        client = admin_client(dx_staff)
        base = "/admin/pdca/evaluation/"
        assert client.get(base).status_code == 200  # it can be read
        assert client.post(base + "add/", {"item": approved.item.pk}).status_code == 403
        change = client.post(
            f"{base}{approved.pk}/change/",
            {"qualitative": "管理画面で書き換え", "fiscal_year": 2026, "status": "draft"},
        )
        assert change.status_code == 403
        assert client.post(f"{base}{approved.pk}/delete/", {"post": "yes"}).status_code == 403
        approved.refresh_from_db()
        assert (approved.fiscal_year, approved.status) == (R7, "approved")
        assert approved.qualitative == "承認済みの評価"

    def test_the_admin_history_cannot_revert_an_evaluation(self, dx_staff, head_a):
        approved = approve(submitted_by=head_a)
        record = Evaluation.history.filter(id=approved.pk).latest("history_date")
        client = admin_client(dx_staff)
        url = f"/admin/pdca/evaluation/{approved.pk}/history/{record.history_id}/"
        assert client.get(url).status_code == 200  # the old version can be read
        response = client.post(
            url,
            {
                "item": approved.item.pk,
                "fiscal_year": 2026,
                "status": "draft",
                "qualitative": "履歴画面で書き換え",
                "version": 1,
            },
        )
        assert response.status_code == 403
        approved.refresh_from_db()
        assert (approved.fiscal_year, approved.status) == (R7, "approved")
        assert approved.qualitative == "承認済みの評価"

    def test_the_admin_cannot_add_change_or_delete_a_publication(self, dx_staff, publish):
        snapshot = publish(R7)
        client = admin_client(dx_staff)
        base = "/admin/pdca/publishedsnapshot/"
        assert client.get(base).status_code == 200
        assert client.post(base + "add/", {"fiscal_year": 2026}).status_code == 403
        change = client.post(f"{base}{snapshot.pk}/change/", {"fiscal_year": 2026, "version": 5})
        assert change.status_code == 403
        assert client.post(f"{base}{snapshot.pk}/delete/", {"post": "yes"}).status_code == 403
        record = PublishedSnapshot.history.filter(id=snapshot.pk).latest("history_date")
        revert = client.post(
            f"{base}{snapshot.pk}/history/{record.history_id}/",
            {"fiscal_year": 2026, "version": 5, "forced_reason": "履歴画面"},
        )
        assert revert.status_code == 403
        snapshot.refresh_from_db()
        assert (snapshot.fiscal_year, snapshot.version, snapshot.forced_reason) == (R7, 1, "")
        assert PublishedSnapshot.objects.count() == 1


# ---- evaluations: the page's single form, four eyes, regenerate, demo ----------------------

EVALUATION_URL = "/staff/items/1-3/evaluations/2025/"
TEXT = {
    "quantitative": "発信までの時間は10時間",
    "qualitative": "周知で利用が増えた",
    "issues": "高齢者の利用が少ない",
    "countermeasures": "出張講座を開く",
    "next_plan": "地区ごとの説明会",
}


def evaluation_13():
    return Evaluation.objects.filter(item__code="1-3", fiscal_year=R7).first()


def post_evaluation(client, action="save", **changes):
    current = evaluation_13()
    data = {**TEXT, **changes, "version": current.version if current else 1, "action": action}
    return client.post(EVALUATION_URL, data)


class TestEvaluationWorkflow:
    def test_four_eyes_the_submitter_cannot_approve_a_second_head_can(
        self, client, dx_staff, head_a, head_a2
    ):
        # DX staff write the text; the 危機管理課 head submits it (editing nothing).
        assert post_evaluation(login(Client(), dx_staff)).status_code == 302
        assert evaluation_13().last_edited_by == dx_staff
        login(client, head_a)
        assert post_evaluation(client, action="submit").status_code == 302
        submitted = evaluation_13()
        assert (submitted.status, submitted.submitted_by) == ("submitted", head_a)
        assert submitted.last_edited_by == dx_staff  # the submitter typed nothing

        shown = page(client.get(EVALUATION_URL))
        assert "承認できる人：kiki-head-2" in shown  # by name, and not the submitter
        assert "承認できる人：kiki-head、" not in shown
        assert "提出した人は承認できません" in shown

        response = client.post(EVALUATION_URL + "approve/", {"version": submitted.version})
        assert response.status_code == 302
        assert "提出した人は承認できません" in page(client.get(response.url))
        assert evaluation_13().status == "submitted"
        assert evaluation_13().approved_by is None

        login(client, head_a2)
        shown = page(client.get(EVALUATION_URL))
        assert "承認する</button>" in shown
        response = client.post(EVALUATION_URL + "approve/", {"version": submitted.version})
        assert response.status_code == 302
        approved = evaluation_13()
        assert (approved.status, approved.approved_by) == ("approved", head_a2)
        assert latest_history(approved).history_user == head_a2
        assert latest_history(approved).history_change_reason == "承認"

    def test_text_typed_and_submitted_in_one_step_is_what_is_stored(self, client, head_a):
        login(client, head_a)
        assert post_evaluation(client, qualitative="最初の下書き").status_code == 302
        response = post_evaluation(client, action="submit", qualitative="提出直前に直した文")
        assert response.status_code == 302
        submitted = evaluation_13()
        assert submitted.status == "submitted"
        assert submitted.qualitative == "提出直前に直した文"
        assert latest_history(submitted).history_change_reason == "編集して提出"

    def test_regenerate_replaces_the_quantitative_text_in_the_form_without_saving(
        self, client, head_a
    ):
        login(client, head_a)
        assert post_evaluation(client, quantitative="古い文案").status_code == 302
        saved = evaluation_13()
        actual("1-3-K02", value=10)
        response = post_evaluation(
            client, action="regenerate", quantitative="古い文案", qualitative="入力中の定性"
        )
        assert response.status_code == 200
        form = response.context["form"]
        assert "実績 10時間" in form["quantitative"].value()
        assert form["qualitative"].value() == "入力中の定性"  # what was typed stays in the form
        assert "保存するまで反映されません" in page(response)
        saved.refresh_from_db()
        assert saved.quantitative == "古い文案"
        assert saved.version == evaluation_13().version

    def test_a_head_of_another_department_cannot_write_or_submit(self, client, head_a, head_b):
        assert post_evaluation(login(Client(), head_a)).status_code == 302
        before = evaluation_13().version
        login(client, head_b)
        for action in ("save", "submit", "regenerate"):
            assert post_evaluation(client, action=action).status_code == 404
        assert client.post(EVALUATION_URL + "approve/", {"version": before}).status_code == 404
        assert (evaluation_13().status, evaluation_13().version) == ("draft", before)

    def test_a_demo_evaluation_edited_by_a_person_is_kept_by_remove_demo(self, client, head_a):
        demo = Evaluation.objects.create(
            item=PriorityItem.objects.get(code="1-3"),
            fiscal_year=R7,
            is_demo=True,
            qualitative="（デモ）架空の評価",
        )
        untouched = Evaluation.objects.create(
            item=PriorityItem.objects.get(code="1-4"), fiscal_year=R7, is_demo=True
        )
        response = post_evaluation(login(client, head_a), qualitative="本当の評価")
        assert response.status_code == 302
        demo.refresh_from_db()
        assert demo.is_demo is False
        call_command("load_plan", "--remove-demo", stdout=io.StringIO())
        assert Evaluation.objects.get(pk=demo.pk).qualitative == "本当の評価"
        assert not Evaluation.objects.filter(pk=untouched.pk).exists()


# ---- channel: the demo loader (load_plan --demo / --remove-demo) ---------------------------


def load_plan(*args):
    out = io.StringIO()
    call_command("load_plan", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def load_demo(*, cycle=True):
    """What ``load_plan --demo`` adds after loading the plan (already loaded for the tests)."""
    load_demo_actuals(user=system_user())
    if cycle:
        load_demo_cycle(user=system_user())


class TestDemoLoader:
    def test_demo_figures_never_go_into_an_approved_year_or_over_a_real_figure(self):
        approve("1-3", R7)
        real = actual("1-1-K01", 2024, value=324081)
        assert "デモ用の架空の実績値を読み込みました" in load_plan("--demo")  # the command itself
        assert not Actual.objects.filter(kpi__item__code="1-3", fiscal_year=R7).exists()
        assert Actual.objects.filter(kpi__item__code="1-3", fiscal_year=2024, is_demo=True).exists()
        real.refresh_from_db()
        assert (real.value, real.is_demo) == (Decimal(324081), False)
        demo = Actual.objects.filter(is_demo=True).first()
        assert latest_history(demo).history_user == system_user()
        assert latest_history(demo).history_change_reason == "デモ用の架空の値を読み込み"

    def test_demo_figures_stay_inside_each_kpis_window(self):
        load_demo(cycle=False)
        for demo in Actual.objects.filter(is_demo=True).select_related("kpi"):
            start, end = demo.kpi.fiscal_year_window()
            assert start <= demo.fiscal_year <= end, demo

    def test_a_demo_figure_a_person_corrected_is_real_and_kept(self, client, head_a):
        load_demo(cycle=False)
        demo = Actual.objects.get(kpi__code="1-3-K02", fiscal_year=R7)
        response = post_kpi(login(client, head_a), value="7", version=demo.version)
        assert response.status_code == 302
        remove_demo_data(user=system_user())
        kept = Actual.objects.get(pk=demo.pk)
        assert (kept.value, kept.is_demo, kept.entered_by) == (Decimal(7), False, head_a)
        assert not Actual.objects.filter(is_demo=True).exists()

    def test_remove_demo_with_demo_figures_in_a_year_a_person_approved(
        self, client, head_a, head_a2
    ):
        """A person reworked 1-3's demo evaluation and had it approved over demo figures: those
        figures are held by a real approval, so removing the demo must not delete them (nor
        crash); it says what it kept."""
        load_demo()
        demo_eval = Evaluation.objects.get(item__code="1-3", fiscal_year=R7)
        Evaluation.objects.filter(pk=demo_eval.pk).update(status="draft")
        login(client, head_a)
        assert post_evaluation(client, action="submit", qualitative="本当の評価").status_code == 302
        login(client, head_a2)
        client.post(EVALUATION_URL + "approve/", {"version": evaluation_13().version})
        assert evaluation_13().status == "approved"
        held = set(
            Actual.objects.filter(
                kpi__placements__initiative__item__code="1-3", fiscal_year=R7, is_demo=True
            ).values_list("pk", flat=True)
        )
        assert held
        out = load_plan("--remove-demo")
        assert set(Actual.objects.values_list("pk", flat=True)) == held
        assert "承認済みの評価が使っているため残したデモ実績" in out
        assert evaluation_13().qualitative == "本当の評価"


# ---- the plan's years: evaluation pages, publishing --------------------------------------


class TestYears:
    @pytest.mark.parametrize("year", [1999, 2099, 32768, 10**20])
    def test_an_evaluation_year_outside_the_plan_is_not_found(self, client, dx_staff, year):
        login(client, dx_staff)
        url = f"/staff/items/1-3/evaluations/{year}/"
        assert client.get(url).status_code == 404
        for action in ("save", "submit", "regenerate"):
            response = client.post(url, {**TEXT, "version": 1, "action": action})
            assert response.status_code == 404
        assert client.post(url + "approve/", {"version": 1}).status_code == 404
        assert client.post(url + "return/", {"version": 1, "comment": "x"}).status_code == 404
        assert not Evaluation.objects.exists()

    def test_publishing_a_year_outside_the_plan_is_refused_in_japanese(self, client, dx_staff):
        response = login(client, dx_staff).post(
            "/staff/publish/", {"fiscal_year": "2099", "force_reason": "試しに"}
        )
        assert response.status_code == 400
        assert "この計画の評価・公表の対象ではありません" in page(response)
        assert not PublishedSnapshot.objects.exists()
        assert "2099" not in page(client.get("/"))

    def test_the_publish_command_refuses_a_year_outside_the_plan_in_japanese(self):
        with pytest.raises(CommandError, match="この計画の評価・公表の対象ではありません"):
            call_command("publish_fiscal_year", "2099", "--force", "試しに")
        assert not PublishedSnapshot.objects.exists()

    def test_a_department_head_cannot_publish(self, client, head_a):
        approve_all(R7)
        response = login(client, head_a).post(
            "/staff/publish/", {"confirmed": "True", "fiscal_year": "R7"}
        )
        assert response.status_code == 403
        with pytest.raises(CommandError, match="「kiki-head」には公表する権限がありません"):
            call_command("publish_fiscal_year", "R7", "--user", "kiki-head")
        assert not PublishedSnapshot.objects.exists()

    def test_republishing_adds_a_version_and_keeps_the_first(self, client, dx_staff):
        approve_all(R7)
        login(client, dx_staff)
        assert (
            client.post("/staff/publish/", {"confirmed": "True", "fiscal_year": "R7"}).status_code
            == 302
        )
        first = PublishedSnapshot.objects.get()
        assert (first.version, first.published_by) == (1, dx_staff)
        call_command("publish_fiscal_year", "R7", stdout=io.StringIO())
        kept, second = PublishedSnapshot.objects.filter(fiscal_year=R7).order_by("version")
        assert (kept.pk, kept.version, kept.document) == (first.pk, 1, first.document)
        assert (second.version, second.published_by) == (2, system_user())
        reason = latest_history(second).history_change_reason
        assert reason == "令和7年度（2025年度）を公表（第2版）"


def test_the_publish_command_says_when_in_japan_time(db):
    approve_all(R7)
    out = io.StringIO()
    call_command("publish_fiscal_year", "R7", stdout=out)
    snapshot = PublishedSnapshot.objects.get()
    local = timezone.localtime(snapshot.published_at)
    assert f"（第1版、{local:%Y-%m-%d %H:%M}）" in out.getvalue()
    assert local.utcoffset().total_seconds() == 9 * 3600
