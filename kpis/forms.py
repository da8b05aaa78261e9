from django import forms

from kpis.models import Kpi
from kpis.parsing import ValueParseError, check_fiscal_year, parse_actual
from shizuoka_dx.fiscal import FiscalYearError


class ActualForm(forms.Form):
    """One FY's actual for one KPI; reads what the import reads (全角数字, 単位, 和暦)."""

    fiscal_year = forms.CharField(label="年度", max_length=20, help_text="例: 2025、R7、令和7年度")
    value = forms.CharField(
        label="実績値",
        max_length=50,
        help_text="例: 324,081件、98.2％。段階で測るKPIは 未着手・着手・完了",
    )
    note = forms.CharField(
        label="備考・出典", required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, kpi: Kpi, **kwargs):
        super().__init__(*args, **kwargs)
        self.kpi = kpi
        if kpi.is_milestone:
            self.fields["value"].help_text = "未着手・着手・完了 のいずれか"

    def clean_fiscal_year(self):
        try:
            return check_fiscal_year(self.kpi, self.cleaned_data["fiscal_year"])
        except FiscalYearError as exc:
            raise forms.ValidationError(str(exc)) from None

    def clean_value(self):
        try:
            return parse_actual(self.cleaned_data["value"], self.kpi.spec)
        except ValueParseError as exc:
            raise forms.ValidationError(str(exc)) from None
