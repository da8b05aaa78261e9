"""Where a KPI or a system is printed (KpiPlacement, SystemPlacement) obeys the approved
evaluations: moving a KPI out of an item whose approved year holds its actual would unlock the
figure (and moving it back would put a changed figure under the approval), so every channel
that changes placements refuses it — the placement pages and the inlines of the KPI and system
pages in the admin, and load_plan (tests/pdca/test_load_plan.py). Moves that change no item,
or touch no held figure, are allowed and recorded with who and why."""

import re
from decimal import Decimal

import pytest
from django.contrib.admin.models import LogEntry
from django.test import Client

from kpis.models import Actual, Kpi, KpiPlacement
from pdca import admin as pdca_admin
from pdca.models import Evaluation
from pdca.services.placements import PlacementRefused, kpi_placements_save
from priorities.models import Initiative, PriorityItem
from systems.models import CostRecord, System, SystemPlacement

pytestmark = pytest.mark.django_db

R6, R7 = 2024, 2025
DISASTER_SYSTEM = "静岡市災害時総合情報システム"  # Form ② of item 1-3
REOPEN = "先にDX推進課に評価の再開を依頼してください。"
KPI_LEAVES = (
    "1-3 の令和7年度の評価は承認済みで 1-3-K02 のこの年度の実績を含むため、"
    "1-3-K02 を 1-3 から外すには、" + REOPEN
)
KPI_JOINS = (
    "2-2 の令和7年度の評価は承認済みのため、この年度の実績がある 1-3-K02 を 2-2 に加えるには、"
    + REOPEN
)
SYSTEM_LEAVES = (
    f"1-3 の令和7年度の評価は承認済みで「{DISASTER_SYSTEM}」のこの年度の経費を含むため、"
    f"「{DISASTER_SYSTEM}」を 1-3 の様式②から外すには、" + REOPEN
)
SYSTEM_JOINS = (
    f"2-1 の令和7年度の評価は公表済みのため、この年度の経費がある「{DISASTER_SYSTEM}」を "
    "2-1 の様式②に加えるには、" + REOPEN
)


def evaluation(code="1-3", year=R7, status=Evaluation.Status.APPROVED):
    return Evaluation.objects.create(
        item=PriorityItem.objects.get(code=code), fiscal_year=year, status=status
    )


def kpi():
    return Kpi.objects.get(code="1-3-K02")


def system():
    return System.objects.get(name=DISASTER_SYSTEM)


def actual(year=R7, value=10):
    return Actual.objects.create(kpi=kpi(), fiscal_year=year, value=value)


def cost(year=R7):
    return CostRecord.objects.create(
        system=system(), fiscal_year=year, kind=CostRecord.Kind.OPERATING, thousand_yen=1000
    )


def initiative(code="2-2", number=1):
    return Initiative.objects.get(item__code=code, number=number)


def items_of_kpi():
    return sorted(p.initiative.item.code for p in kpi().placements.select_related("initiative"))


def items_of_system():
    return sorted(system().items.values_list("code", flat=True))


def admin(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def form_errors(response) -> str:
    """The errors the admin shows with the form again (200): the form's and the inlines'."""
    assert response.status_code == 200, response.status_code
    shown = [e for errors in response.context["adminform"].form.errors.values() for e in errors]
    for inline in response.context.get("inline_admin_formsets", []):
        shown += inline.formset.non_form_errors()
    return " ".join(str(e) for e in shown)


def latest_history(record):
    return type(record).history.filter(id=record.pk).latest("history_date")


# ---- the placement pages (/admin/kpis/kpiplacement/, /admin/systems/systemplacement/) -------


def change_kpi_placement(client, placement, to, reason="記載箇所の訂正"):
    return client.post(
        f"/admin/kpis/kpiplacement/{placement.pk}/change/",
        {
            "initiative": to.pk,
            "kpi": placement.kpi_id,
            "order": placement.order,
            "note": placement.note,
            "change_reason": reason,
        },
    )


class TestKpiPlacementPage:
    @pytest.mark.parametrize("status", [Evaluation.Status.APPROVED, Evaluation.Status.PUBLISHED])
    def test_moving_a_kpi_out_of_an_item_holding_its_figure_is_refused(self, dx_staff, status):
        evaluation(status=status)
        actual()
        placement = KpiPlacement.objects.get(kpi=kpi())
        response = change_kpi_placement(admin(dx_staff), placement, initiative("2-2"))
        shown = form_errors(response)
        expected = KPI_LEAVES.replace("承認済み", Evaluation.Status(status).label)
        assert shown == expected, shown
        assert items_of_kpi() == ["1-3"]
        assert not LogEntry.objects.exists()

    def test_adding_a_kpi_to_an_item_holding_that_years_figures_is_refused(self, dx_staff):
        evaluation("2-2")
        actual()
        response = admin(dx_staff).post(
            "/admin/kpis/kpiplacement/add/",
            {
                "initiative": initiative("2-2").pk,
                "kpi": kpi().pk,
                "order": 9,
                "note": "再掲",
                "change_reason": "再掲を追加",
            },
        )
        assert form_errors(response) == KPI_JOINS
        assert items_of_kpi() == ["1-3"]

    def test_deleting_the_placement_is_refused(self, dx_staff):
        evaluation()
        actual()
        placement = KpiPlacement.objects.get(kpi=kpi())
        client = admin(dx_staff)
        change_page = client.get(f"/admin/kpis/kpiplacement/{placement.pk}/change/")
        assert (
            f"/admin/kpis/kpiplacement/{placement.pk}/delete/" not in change_page.content.decode()
        )
        response = client.post(f"/admin/kpis/kpiplacement/{placement.pk}/delete/", {"post": "yes"})
        assert response.status_code == 403
        assert KpiPlacement.objects.filter(pk=placement.pk).exists()

    def test_reverting_from_the_history_obeys_the_same_rule(self, dx_staff):
        """The history's "revert" form saves an old state: here, the KPI on 2-2."""
        placement = KpiPlacement.objects.get(kpi=kpi())
        home = placement.initiative
        client = admin(dx_staff)
        assert change_kpi_placement(client, placement, initiative("2-2")).status_code == 302
        away = latest_history(placement).history_id
        assert change_kpi_placement(client, placement, home).status_code == 302
        evaluation()
        actual()
        response = client.post(
            f"/admin/kpis/kpiplacement/{placement.pk}/history/{away}/",
            {
                "initiative": initiative("2-2").pk,
                "kpi": kpi().pk,
                "order": placement.order,
                "note": "",
                "change_reason": "元に戻す",
            },
        )
        assert form_errors(response) == KPI_LEAVES
        assert items_of_kpi() == ["1-3"]

    @pytest.mark.parametrize(
        "why", ["another initiative of the same item", "no actual in the held year", "draft"]
    )
    def test_a_move_that_touches_no_held_figure_is_saved_with_who_and_why(self, dx_staff, why):
        evaluation(status=Evaluation.Status.DRAFT if why == "draft" else "approved")
        actual(R6 if why == "no actual in the held year" else R7)
        to = initiative("1-3", 2) if why == "another initiative of the same item" else initiative()
        placement = KpiPlacement.objects.get(kpi=kpi())
        response = change_kpi_placement(admin(dx_staff), placement, to)
        assert response.status_code == 302
        placement.refresh_from_db()
        assert placement.initiative == to
        history = latest_history(placement)
        assert history.history_user == dx_staff
        assert history.history_change_reason == "管理画面で変更: 記載箇所の訂正"


class TestSystemPlacementPage:
    def test_moving_a_system_out_of_an_item_holding_its_cost_is_refused(self, dx_staff):
        evaluation()
        cost()
        placement = SystemPlacement.objects.get(system=system())
        response = admin(dx_staff).post(
            f"/admin/systems/systemplacement/{placement.pk}/change/",
            {
                "item": PriorityItem.objects.get(code="2-1").pk,
                "system": system().pk,
                "order": placement.order,
                "label": placement.label,
                "change_reason": "掲載先の訂正",
            },
        )
        assert form_errors(response) == SYSTEM_LEAVES
        assert items_of_system() == ["1-3"]

    def test_adding_a_system_to_an_item_holding_that_years_costs_is_refused(self, dx_staff):
        evaluation("2-1", status=Evaluation.Status.PUBLISHED)
        cost()
        response = admin(dx_staff).post(
            "/admin/systems/systemplacement/add/",
            {
                "item": PriorityItem.objects.get(code="2-1").pk,
                "system": system().pk,
                "order": 9,
                "label": "",
                "change_reason": "再掲",
            },
        )
        assert form_errors(response) == SYSTEM_JOINS
        assert items_of_system() == ["1-3"]

    def test_deleting_the_placement_is_refused(self, dx_staff):
        evaluation()
        cost()
        placement = SystemPlacement.objects.get(system=system())
        response = admin(dx_staff).post(
            f"/admin/systems/systemplacement/{placement.pk}/delete/", {"post": "yes"}
        )
        assert response.status_code == 403
        assert items_of_system() == ["1-3"]

    def test_without_a_cost_in_the_held_year_the_system_moves(self, dx_staff):
        evaluation()
        cost(R6)
        placement = SystemPlacement.objects.get(system=system())
        client = admin(dx_staff)
        response = client.post(
            f"/admin/systems/systemplacement/{placement.pk}/delete/", {"post": "yes"}
        )
        assert response.status_code == 302
        assert items_of_system() == []
        record = SystemPlacement.history.filter(id=placement.pk).latest("history_date")
        assert (record.history_type, record.history_user) == ("-", dx_staff)
        assert record.history_change_reason == "管理画面で削除"


# ---- the inlines on the KPI and system pages -----------------------------------------------


def filled_in(response) -> dict:
    """The admin change form as the browser would post it back, inlines included."""
    data = {}

    def add(form):
        for bound in form:
            value = bound.value()
            if value is None or bound.field.disabled or isinstance(value, list):
                continue
            data[bound.html_name] = value

    add(response.context["adminform"].form)
    for inline in response.context["inline_admin_formsets"]:
        add(inline.formset.management_form)
        for form in inline.formset.forms:
            add(form)
    return data


def kpi_page(client):
    url = f"/admin/kpis/kpi/{kpi().pk}/change/"
    data = filled_in(client.get(url))
    data["change_reason"] = "記載箇所の訂正"
    return url, data


class TestKpiPageInline:
    def test_moving_the_kpi_in_the_inline_is_refused_and_nothing_of_the_page_saved(self, dx_staff):
        evaluation()
        actual()
        client = admin(dx_staff)
        url, data = kpi_page(client)
        data["placements-0-initiative"] = initiative("2-2").pk
        data["name"] = "名称も変えた"
        assert form_errors(client.post(url, data)) == KPI_LEAVES
        assert items_of_kpi() == ["1-3"]
        assert kpi().name != "名称も変えた"

    def test_deleting_the_row_is_refused(self, dx_staff):
        evaluation()
        actual()
        client = admin(dx_staff)
        url, data = kpi_page(client)
        data["placements-0-DELETE"] = "on"
        assert form_errors(client.post(url, data)) == KPI_LEAVES
        assert items_of_kpi() == ["1-3"]

    def test_adding_a_row_on_a_held_item_is_refused(self, dx_staff):
        evaluation("2-2")
        actual()
        client = admin(dx_staff)
        url, data = kpi_page(client)
        data.update(
            {
                "placements-TOTAL_FORMS": 2,
                "placements-1-kpi": kpi().pk,
                "placements-1-initiative": initiative("2-2").pk,
                "placements-1-order": 9,
                "placements-1-note": "再掲",
            }
        )
        assert form_errors(client.post(url, data)) == KPI_JOINS
        assert items_of_kpi() == ["1-3"]

    def test_an_allowed_move_is_saved_with_the_pages_reason(self, dx_staff):
        evaluation()
        actual(R6)
        client = admin(dx_staff)
        url, data = kpi_page(client)
        data["placements-0-initiative"] = initiative("2-2").pk
        response = client.post(url, data)
        assert response.status_code == 302, form_errors(response)
        assert items_of_kpi() == ["2-2"]
        history = latest_history(KpiPlacement.objects.get(kpi=kpi()))
        assert history.history_user == dx_staff
        assert history.history_change_reason == "管理画面で変更: 記載箇所の訂正"

    def test_a_year_approved_after_the_check_refuses_the_save_and_says_why(
        self, dx_staff, monkeypatch
    ):
        """The form was checked before the approval committed; the service, which locks,
        refuses at the save: nothing of the page is kept, one message, no log entry."""
        monkeypatch.setattr(pdca_admin, "kpi_placement_refusal", lambda **kwargs: None)
        evaluation()
        actual()
        client = admin(dx_staff)
        url, data = kpi_page(client)
        data["placements-0-initiative"] = initiative("2-2").pk
        data["name"] = "名称も変えた"
        response = client.post(url, data)
        assert response.status_code == 302
        assert response.url == url
        shown = [str(m) for m in client.get(url).context["messages"]]
        assert shown == [KPI_LEAVES], shown
        assert items_of_kpi() == ["1-3"]
        assert kpi().name != "名称も変えた"
        assert not LogEntry.objects.exists()


class TestSystemPageInline:
    def system_page(self, client):
        url = f"/admin/systems/system/{system().pk}/change/"
        data = filled_in(client.get(url))
        data["change_reason"] = "掲載先の訂正"
        return url, data

    def test_moving_the_system_in_the_inline_is_refused(self, dx_staff):
        evaluation()
        cost()
        client = admin(dx_staff)
        url, data = self.system_page(client)
        data["placements-0-item"] = PriorityItem.objects.get(code="2-1").pk
        assert form_errors(client.post(url, data)) == SYSTEM_LEAVES
        assert items_of_system() == ["1-3"]

    def test_deleting_the_row_is_refused(self, dx_staff):
        evaluation()
        cost()
        client = admin(dx_staff)
        url, data = self.system_page(client)
        data["placements-0-DELETE"] = "on"
        assert form_errors(client.post(url, data)) == SYSTEM_LEAVES
        assert items_of_system() == ["1-3"]

    def test_without_a_held_cost_the_move_is_saved_with_the_pages_reason(self, dx_staff):
        evaluation()
        client = admin(dx_staff)
        url, data = self.system_page(client)
        data["placements-0-item"] = PriorityItem.objects.get(code="2-1").pk
        response = client.post(url, data)
        assert response.status_code == 302, form_errors(response)
        assert items_of_system() == ["2-1"]
        history = latest_history(SystemPlacement.objects.get(system=system()))
        assert (history.history_user, history.history_change_reason) == (
            dx_staff,
            "管理画面で変更: 掲載先の訂正",
        )


# ---- the service itself --------------------------------------------------------------------


def test_the_service_refuses_a_move_however_it_is_called(dx_staff):
    evaluation()
    actual()
    placement = KpiPlacement.objects.get(kpi=kpi())
    placement.initiative = initiative("2-2")
    with pytest.raises(PlacementRefused, match=re.escape(KPI_LEAVES)):
        kpi_placements_save(saved=[placement], user=dx_staff, reason="テスト")
    assert items_of_kpi() == ["1-3"]
    assert Actual.objects.get(kpi=kpi(), fiscal_year=R7).value == Decimal(10)


# ---- deleting an initiative takes its KPIs off the item --------------------------------------


class TestInitiativeDeletion:
    def test_deleting_the_initiative_of_a_held_kpi_is_refused(self, dx_staff):
        """The delete page lists the KPI placement among what may not be deleted."""
        evaluation()
        actual()
        home = KpiPlacement.objects.get(kpi=kpi()).initiative
        client = admin(dx_staff)
        url = f"/admin/priorities/initiative/{home.pk}/delete/"
        assert client.get(url).context["perms_lacking"] == {"KPIの記載箇所"}
        assert client.post(url, {"post": "yes"}).status_code == 403
        assert items_of_kpi() == ["1-3"]

    def test_the_item_page_deletes_no_initiative(self, dx_staff):
        """Its inline has no 「削除」 box: initiatives are deleted on their own page."""
        evaluation()
        actual()
        client = admin(dx_staff)
        item = PriorityItem.objects.get(code="1-3")
        url = f"/admin/priorities/priorityitem/{item.pk}/change/"
        page = client.get(url)
        initiatives = next(
            inline.formset
            for inline in page.context["inline_admin_formsets"]
            if inline.formset.model is Initiative
        )
        assert not initiatives.can_delete
        data = filled_in(page)
        data[f"{initiatives.prefix}-0-DELETE"] = "on"
        data["change_reason"] = "取組の削除"
        response = client.post(url, data)
        assert response.status_code == 302, form_errors(response)
        assert Initiative.objects.filter(item=item).count() == 3
        assert items_of_kpi() == ["1-3"]

    def test_an_initiative_whose_kpis_hold_no_figure_is_deleted(self, dx_staff):
        evaluation()
        actual(R6)
        home = KpiPlacement.objects.get(kpi=kpi())
        response = admin(dx_staff).post(
            f"/admin/priorities/initiative/{home.initiative_id}/delete/", {"post": "yes"}
        )
        assert response.status_code == 302
        assert items_of_kpi() == []
        record = KpiPlacement.history.filter(id=home.pk).latest("history_date")
        assert (record.history_type, record.history_user) == ("-", dx_staff)


def test_an_initiative_keeps_its_item_so_its_kpis_cannot_move_with_it(dx_staff):
    """Changing an initiative's item would move every KPI printed on it: the field is read-only
    once the initiative exists (move the KPIs themselves, which the rule checks)."""
    evaluation()
    actual()
    home = KpiPlacement.objects.get(kpi=kpi()).initiative
    client = admin(dx_staff)
    url = f"/admin/priorities/initiative/{home.pk}/change/"
    data = filled_in(client.get(url))
    data.update(item=PriorityItem.objects.get(code="2-2").pk, number=9, change_reason="移動")
    response = client.post(url, data)
    assert response.status_code == 302, form_errors(response)
    assert Initiative.objects.get(pk=home.pk).item.code == "1-3"
    assert items_of_kpi() == ["1-3"]
