from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from kpis.models import Actual, Kpi

pytestmark = pytest.mark.django_db


def test_it_allows_one_actual_per_kpi_and_fiscal_year():
    kpi = Kpi.objects.get(code="1-1-K01")
    Actual.objects.create(kpi=kpi, fiscal_year=2024, value=Decimal(300000))
    duplicate = Actual(kpi=kpi, fiscal_year=2024, value=Decimal(310000))
    with pytest.raises(ValidationError) as caught:
        duplicate.full_clean()
    assert "すでに登録されています" in str(caught.value)
    with pytest.raises(IntegrityError), transaction.atomic():
        duplicate.save()


def test_a_numeric_kpi_refuses_a_stage():
    actual = Actual(kpi=Kpi.objects.get(code="1-1-K01"), fiscal_year=2024, stage="着手")
    with pytest.raises(ValidationError) as caught:
        actual.full_clean()
    assert "段階" in str(caught.value)


def test_a_milestone_kpi_takes_a_stage_not_a_number():
    kpi = Kpi.objects.get(code="1-1-K03")
    Actual(kpi=kpi, fiscal_year=2024, stage="着手").full_clean()
    with pytest.raises(ValidationError):
        Actual(kpi=kpi, fiscal_year=2024, value=Decimal(1)).full_clean()


def test_an_actual_needs_a_value_or_a_stage_at_the_database_too():
    kpi = Kpi.objects.get(code="1-1-K01")
    with pytest.raises(IntegrityError), transaction.atomic():
        Actual.objects.create(kpi=kpi, fiscal_year=2024)


@pytest.mark.parametrize("year", [1999, 2101])
def test_it_refuses_a_fiscal_year_outside_a_sane_range(year):
    actual = Actual(kpi=Kpi.objects.get(code="1-1-K01"), fiscal_year=year, value=Decimal(1))
    with pytest.raises(ValidationError) as caught:
        actual.full_clean()
    assert "fiscal_year" in caught.value.message_dict


def test_a_kpi_code_must_start_with_its_items_code():
    kpi = Kpi.objects.get(code="1-3-K02")
    kpi.code = "1-4-K09"
    with pytest.raises(ValidationError) as caught:
        kpi.full_clean()
    assert "1-3-K" in str(caught.value)


def test_a_kpi_code_has_a_fixed_shape():
    kpi = Kpi.objects.get(code="1-3-K02")
    kpi.code = "1-3-2"
    with pytest.raises(ValidationError):
        kpi.full_clean()


def test_maintain_needs_target_equal_to_baseline():
    kpi = Kpi.objects.get(code="1-1-K01")
    kpi.direction = "maintain"
    with pytest.raises(ValidationError) as caught:
        kpi.full_clean()
    assert "direction" in caught.value.message_dict
