from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from systems.models import CostRecord, System

pytestmark = pytest.mark.django_db


def test_it_refuses_a_negative_cost_in_validation_and_in_the_database():
    system = System.objects.get(name="電子申請システム")
    system.operating_cost_thousand_yen = Decimal("-1")
    with pytest.raises(ValidationError) as caught:
        system.full_clean()
    assert "マイナス" in str(caught.value)
    with pytest.raises(IntegrityError), transaction.atomic():
        system.save()


def test_a_yearly_cost_record_is_unique_per_year_and_kind():
    system = System.objects.get(name="電子申請システム")
    CostRecord.objects.create(system=system, fiscal_year=2024, kind="operating", thousand_yen=1100)
    with pytest.raises(ValidationError):
        CostRecord(
            system=system, fiscal_year=2024, kind="operating", thousand_yen=1200
        ).full_clean()
    CostRecord(system=system, fiscal_year=2024, kind="initial", thousand_yen=0).full_clean()


def test_a_negative_yearly_cost_is_refused():
    system = System.objects.get(name="電子申請システム")
    with pytest.raises(ValidationError):
        CostRecord(system=system, fiscal_year=2024, kind="operating", thousand_yen=-3).full_clean()
