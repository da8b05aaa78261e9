import pytest

from shizuoka_dx.fiscal import (
    FiscalYearError,
    format_fiscal_year,
    parse_fiscal_year,
    short_fiscal_year,
)


@pytest.mark.parametrize(
    ("text", "year"),
    [
        (2024, 2024),
        ("2024", 2024),
        ("２０２４", 2024),
        ("2024年度", 2024),
        ("R6", 2024),
        ("r6", 2024),
        ("Ｒ６", 2024),
        ("令和6年度", 2024),
        ("令和６年度", 2024),
        ("令和元年度", 2019),
        ("H31年度", 2019),
        ("平成30年度", 2018),
        (" R8 ", 2026),
    ],
)
def test_it_reads_the_ways_people_write_a_fiscal_year(text, year):
    assert parse_fiscal_year(text) == year


@pytest.mark.parametrize("text", ["", "来年", "R", "令和0年度", "1999", "2101", "24", "R6.5"])
def test_it_refuses_what_is_not_a_fiscal_year_in_japanese(text):
    with pytest.raises(FiscalYearError) as caught:
        parse_fiscal_year(text)
    assert "年度" in str(caught.value)


def test_it_formats_fiscal_years_one_way():
    assert format_fiscal_year(2024) == "令和6年度（2024年度）"
    assert format_fiscal_year(2019) == "令和元年度（2019年度）"
    assert format_fiscal_year(2018, western=False) == "平成30年度"
    assert short_fiscal_year(2026) == "R8"
