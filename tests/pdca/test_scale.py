"""The generated plan of ``make bench`` (pdca/scale.py, ``generate_scale_plan``): only ever in a
scratch database, every record marked, every code valid."""

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError

from kpis.models import Actual, Kpi, KpiPlacement
from pdca import scale
from priorities.models import PriorityItem
from priorities.roles import system_user
from systems.models import System

pytestmark = pytest.mark.django_db


def test_it_refuses_a_database_whose_name_does_not_say_scratch():
    with pytest.raises(CommandError, match=r"作業用ではありません。.*「scale」を含む"):
        call_command("generate_scale_plan", "--factor", "2")
    assert not PriorityItem.objects.filter(title__startswith=scale.MARK).exists()


def test_it_refuses_a_scratch_database_that_holds_a_plan_it_did_not_generate(monkeypatch):
    monkeypatch.setattr(scale, "database_name", lambda settings_dict=None: "x_scale_100")
    assert scale.name_problem() is None
    problem = scale.scratch_problem(replace=True)
    assert "生成したものではない計画やデータがあります" in problem


def test_item_numbers_go_up_to_999_and_real_codes_stay_valid():
    item = PriorityItem.objects.get(code="1-3")
    for code in ["1-3", "5-360", "9-999"]:
        item.code = code
        item.full_clean(validate_unique=False)
    for code in ["5-1000", "0-1", "1-0", "1-01", "10-1"]:
        item.code = code
        with pytest.raises(ValidationError):
            item.full_clean(validate_unique=False)


def test_copies_get_codes_after_the_real_items_and_keep_repeated_kpis_within_the_copy():
    real_items = PriorityItem.objects.count()
    scale.copy_items(3, system_user())
    assert PriorityItem.objects.count() == 3 * real_items
    pillar_one = list(
        PriorityItem.objects.filter(pillar__number=1).order_by("order").values_list("code", "title")
    )
    assert [code for code, _title in pillar_one] == [f"1-{n}" for n in range(1, 13)]
    assert pillar_one[6][1].endswith("（複製2）") and pillar_one[10][1].endswith("（複製3）")
    for item in PriorityItem.objects.all():
        item.full_clean()
    for kpi in Kpi.objects.select_related("item"):
        assert kpi.code.startswith(f"{kpi.item.code}-K")
        kpi.full_clean()
    # A KPI printed again on another item points at the same copy's KPI, never the original's.
    for placement in KpiPlacement.objects.select_related("initiative__item", "kpi__item"):
        copy_of = placement.initiative.item.title.endswith
        assert copy_of("（複製2）") == placement.kpi.item.title.endswith("（複製2）")
    assert System.objects.filter(name__endswith="（複製3）").count() == System.objects.count() // 3
    copied = PriorityItem.objects.get(code="1-7")  # 1-3's second copy
    assert {d.name for d in copied.departments.all()} == {"危機管理課", "河川課"}
    assert copied.history.filter(history_change_reason=scale.REASON).exists()


def test_generated_actuals_are_marked_and_pass_the_models_rules():
    count = scale.write_actuals(system_user(), seed=3)
    assert count == Actual.objects.count() > 150
    for actual in Actual.objects.select_related("kpi"):
        assert actual.is_demo and actual.note == scale.NOTE
        actual.full_clean()
        start, end = actual.kpi.fiscal_year_window()
        assert start <= actual.fiscal_year <= end
        spec = actual.kpi.spec
        if actual.value is not None:
            assert spec.allows_negative or actual.value >= 0
            assert not spec.share or actual.value <= 100
    assert Actual.history.filter(history_change_reason=scale.REASON).count() == count
