"""kpis/parsing.py: every form of a value people type, read when it has one reading, refused
(in one Japanese sentence that quotes what was typed) when it has two or none."""

import datetime
from decimal import Decimal as D

import pytest

from kpis.calculations import KpiSpec
from kpis.forms import ActualForm
from kpis.models import Kpi
from kpis.parsing import ParsedValue, ValueParseError, parse_actual

COUNT = KpiSpec("increase", D(375000), 2027, baseline=D(298621), unit="件")  # 1-1-K01
SHARE = KpiSpec("increase", D(70), 2027, baseline=D(60), unit="％")  # 1-3-K01
HOURS = KpiSpec("decrease", D(7), 2026, baseline=D(12), unit="時間")  # 1-3-K02
YEN = KpiSpec("increase", D(68), 2027, baseline=D(31), unit="億円", cumulative=True)  # 3-2-K02
NO_UNIT = KpiSpec("increase", D(10), 2027, baseline=D(0))
CHANGE = KpiSpec("increase", D(5), 2027, baseline=D(-2), unit="％")  # a rate of change
GROWTH = KpiSpec("increase", D(120), 2027, baseline=D(100), unit="％")  # 前年比, not a share
MILESTONE = KpiSpec("milestone", None, 2026)

ACCEPTED = [
    # (spec, typed, read as)
    (COUNT, "324081", D(324081)),
    (COUNT, "1,234", D(1234)),
    (COUNT, "12,345,678", D(12345678)),
    (COUNT, "１，２３４", D(1234)),
    (COUNT, "３２４，０８１件", D(324081)),
    (COUNT, "324,081 件", D(324081)),
    (COUNT, "324,081　件", D(324081)),
    (COUNT, " 1,234 ", D(1234)),
    (COUNT, "1,234.5", D("1234.5")),
    (COUNT, "0", D(0)),
    (COUNT, "+0", D(0)),
    (COUNT, "+12", D(12)),
    (COUNT, "007", D(7)),
    (COUNT, "3.2万件", D(32000)),
    (COUNT, "1,234万", D(12340000)),
    (COUNT, "5千", D(5000)),
    (COUNT, 324081, D(324081)),
    (COUNT, 324081.0, D(324081)),
    (COUNT, D("1234.5"), D("1234.5")),
    (COUNT, -0.0, D(0)),  # a numeric cell holding −0: Excel shows 0
    (COUNT, D("-0"), D(0)),
    (SHARE, "98.2%", D("98.2")),
    (SHARE, "98.2％", D("98.2")),
    (SHARE, "98.2 %", D("98.2")),
    (SHARE, "100", D(100)),
    (SHARE, "0", D(0)),
    (SHARE, 65, D(65)),
    (HOURS, "7.5", D("7.5")),
    (HOURS, "7.5時間", D("7.5")),
    (YEN, "31億円", D(31)),
    (NO_UNIT, "5件", D(5)),
    (CHANGE, "-3", D(-3)),
    (CHANGE, "△3", D(-3)),
    (CHANGE, "▲1.5%", D("-1.5")),
    (CHANGE, "−3", D(-3)),  # U+2212
    (CHANGE, "－3", D(-3)),  # U+FF0D
    (CHANGE, "- 3", D(-3)),
    (CHANGE, -2.0, D(-2)),
    (GROWTH, "250%", D(250)),
]


@pytest.mark.parametrize(
    ("spec", "raw", "value"), ACCEPTED, ids=[f"{s.unit or '-'} {r!r}" for s, r, _ in ACCEPTED]
)
def test_it_reads_a_number_with_one_reading(spec, raw, value):
    parsed = parse_actual(raw, spec)
    assert parsed == ParsedValue(value=value)
    assert parsed.value.is_signed() == (value < 0)  # never a stored −0


@pytest.mark.parametrize(
    ("raw", "stage"), [("着手", "着手"), (" 完了 ", "完了"), ("未着手", "未着手")]
)
def test_a_milestone_kpi_reads_a_stage(raw, stage):
    assert parse_actual(raw, MILESTONE) == ParsedValue(stage=stage)


SEPARATORS = "は「,」が3桁ごとの位置にないので"
SPLIT = "は数字の間に空白があり、1つの数値か2つの数値か決まらないので、空白を消して入力してください"
MINUS_ZERO = "はマイナスの付いた0で、0なのか0に丸めたマイナスの値なのか決まらないので"
COUNTED = (
    "はマイナスの値ですが、「件」で数える値はマイナスにならないので、0以上の値を入力してください。"
)
PLAN_NON_NEGATIVE = (
    "はマイナスの値ですが、このKPIは計画の現状値・目標値にマイナスがないので、0以上の値を入力"
    "してください（マイナスになりうる指標なら、DX推進課にご相談ください）。"
)
OVER_100 = "は100％を超えていますが、このKPIは割合（％）で0〜100の範囲なので、値を確かめて"

REFUSED = [
    # (spec, typed, the message quotes it as, the message says)
    # thousands separators anywhere but every three digits
    (COUNT, "1,2,3", "1,2,3", SEPARATORS + "、1,234 のように3桁ごとに「,」を付けるか"),
    (COUNT, "98,2", "98,2", SEPARATORS + "、小数なら「98.2」のように「.」で入力してください"),
    (COUNT, ",5,", ",5,", SEPARATORS),
    (COUNT, "1,23", "1,23", SEPARATORS + "、小数なら「1.23」"),
    (COUNT, "1,2345", "1,2345", SEPARATORS + "、小数なら「1.2345」"),
    (COUNT, "0,5", "0,5", SEPARATORS + "、小数なら「0.5」"),
    (COUNT, "12,34,567", "12,34,567", SEPARATORS),  # grouped the Indian way
    (COUNT, "1234,567", "1234,567", SEPARATORS),
    (COUNT, "1,234,56", "1,234,56", SEPARATORS),
    (COUNT, "1,,234", "1,,234", SEPARATORS),
    (COUNT, "1.234,5", "1.234,5", SEPARATORS),  # the European way
    (COUNT, "1,234.5,6", "1,234.5,6", SEPARATORS),
    (COUNT, "１，２，３", "１，２，３", SEPARATORS),
    (COUNT, "1,2,3件", "1,2,3件", SEPARATORS),
    (SHARE, "98,2%", "98,2%", SEPARATORS + "、小数なら「98.2」"),
    # digits split by spaces of any width
    (COUNT, "1 234", "1 234", SPLIT),
    (COUNT, "1\u3000234", "1\u3000234", SPLIT),
    (COUNT, "1\u00a0234", "1\u00a0234", SPLIT),
    (COUNT, "1\t234", "1\t234", SPLIT),
    (COUNT, "12 345 678", "12 345 678", SPLIT),
    (COUNT, "１　２３４", "１　２３４", SPLIT),
    (COUNT, "1, 234", "1, 234", SPLIT),
    (COUNT, "1 ,234", "1 ,234", SPLIT),
    (SHARE, "98. 2", "98. 2", SPLIT),
    # a minus zero typed as text
    (COUNT, "-0", "-0", MINUS_ZERO + "、0なら「0」と入力してください。"),
    (COUNT, "△0", "△0", MINUS_ZERO),
    (COUNT, "▲0", "▲0", MINUS_ZERO),
    (COUNT, "−0.0", "−0.0", MINUS_ZERO),
    (COUNT, "-0万", "-0万", MINUS_ZERO),
    (CHANGE, "△0", "△0", MINUS_ZERO + "、0なら「0」と、マイナスの値なら丸める前の値を入力"),
    # negatives where the KPI never goes below zero
    (COUNT, "-5件", "-5件", COUNTED),
    (COUNT, "△5", "△5", COUNTED),
    (COUNT, "▲1,200", "▲1,200", COUNTED),
    (COUNT, "−3", "−3", COUNTED),
    (COUNT, -5, "-5", COUNTED),
    (COUNT, -5.0, "-5", COUNTED),
    (COUNT, -0.4, "-0.4", COUNTED),  # a small negative Excel may show as △0
    (HOURS, "-1", "-1", PLAN_NON_NEGATIVE),
    (SHARE, "-3%", "-3%", PLAN_NON_NEGATIVE),
    (NO_UNIT, "-1", "-1", PLAN_NON_NEGATIVE),
    # shares over 100
    (SHARE, "250%", "250%", OVER_100),
    (SHARE, "100.1", "100.1", OVER_100),
    (SHARE, 982, "982", OVER_100),
    (SHARE, "1,000", "1,000", OVER_100),
    # what is no number at all
    (COUNT, "", "", "実績値が空欄です。"),
    (COUNT, "　", "", "実績値が空欄です。"),
    (COUNT, None, "", "実績値が空欄です。"),
    (COUNT, "たくさん", "たくさん", "は数値として読めません（例: 324,081 や 98.2％）。"),
    (COUNT, ",", ",", "は数値として読めません"),
    (COUNT, "1.2.3", "1.2.3", "は数値として読めません"),
    (COUNT, ".5", ".5", "は数値として読めません"),
    (COUNT, "△△5", "△△5", "は数値として読めません"),
    (COUNT, "5−", "5−", "は数値として読めません（数値のあとの「-」が読めません"),
    (COUNT, "1e3", "1e3", "は数値として読めません（数値のあとの「e3」が読めません"),
    (COUNT, "5人", "5人", "の単位「人」は、このKPIの単位「件」と違います"),
    (COUNT, "着手", "", "このKPIは数値で測ります。段階「着手」ではなく数値を入力してください。"),
    (COUNT, True, "TRUE", "は数値として読めません（セルに TRUE・FALSE と表示されています）"),
    (COUNT, False, "FALSE", "は数値として読めません"),
    (COUNT, float("nan"), "nan", "は数値として読めません"),
    (COUNT, datetime.date(2025, 3, 31), "", "日付として入力されています"),
    (SHARE, "3万％", "", "割合（％）の値に「万」は使えません"),
    (MILESTONE, "50", "50", "は段階として読めません（未着手・着手・完了"),
]


@pytest.mark.parametrize(
    ("spec", "raw", "quoted", "message"),
    REFUSED,
    ids=[f"{s.unit or '-'} {r!r}" for s, r, _, _ in REFUSED],
)
def test_it_refuses_a_number_with_two_readings_or_none(spec, raw, quoted, message):
    with pytest.raises(ValueParseError) as caught:
        parse_actual(raw, spec)
    text = str(caught.value)
    assert message in text
    if quoted:
        assert text.startswith(f"「{quoted}」"), text
    # One plain sentence: it ends once, and says what to do.
    assert text.endswith("。") and text.count("。") <= 2, text
    assert "Error" not in text and "Decimal" not in text


def test_the_rule_for_negatives_and_shares_lives_on_the_kpi_spec():
    assert not COUNT.allows_negative and COUNT.counted
    assert not HOURS.allows_negative and not HOURS.counted
    assert CHANGE.allows_negative and not CHANGE.share
    assert SHARE.share and not GROWTH.share
    # A count never goes below zero, even if its plan printed a negative number.
    assert not KpiSpec("increase", D(5), 2027, baseline=D(-1), unit="件").allows_negative


@pytest.mark.django_db
def test_no_kpi_of_the_real_plan_takes_a_negative_value_and_every_percent_kpi_is_a_share():
    kpis = list(Kpi.objects.exclude(direction="milestone"))
    assert kpis
    assert [kpi.code for kpi in kpis if kpi.spec.allows_negative] == []
    percent = {kpi.code for kpi in kpis if kpi.unit in ("％", "%")}
    assert percent and percent == {kpi.code for kpi in kpis if kpi.spec.share}


@pytest.mark.django_db
def test_the_page_form_refuses_what_the_file_refuses():
    kpi = Kpi.objects.get(code="1-1-K01")
    form = ActualForm({"fiscal_year": "R6", "value": "1,2,3", "note": ""}, kpi=kpi)
    assert not form.is_valid()
    assert form.errors["value"][0].startswith("「1,2,3」は「,」が3桁ごとの位置にないので")
    form = ActualForm({"fiscal_year": "R6", "value": "-5件", "note": ""}, kpi=kpi)
    assert not form.is_valid()
    assert "「件」で数える値はマイナスにならない" in form.errors["value"][0]
    form = ActualForm({"fiscal_year": "R6", "value": "１，２３４件", "note": ""}, kpi=kpi)
    assert form.is_valid(), form.errors
    assert form.cleaned_data["value"].value == D(1234)
