import zipfile
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from openpyxl import Workbook

from kpis import importing
from kpis.importing import ImportRefused
from kpis.models import Actual, Kpi
from tests.helpers import import_actuals

pytestmark = pytest.mark.django_db

HEADER = ["kpi_code", "fiscal_year", "value", "note"]


def write_csv(path, rows, *, encoding="utf-8", header=HEADER):
    lines = [",".join(header)] + [",".join(f'"{cell}"' for cell in row) for row in rows]
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode(encoding))
    return path


def write_xlsx(path, rows, *, sheets=("実績",), header=HEADER, cached=None):
    book = Workbook()
    book.remove(book.active)
    for name in sheets:
        sheet = book.create_sheet(name)
        if name == sheets[-1]:
            sheet.append(header)
            for row in rows:
                sheet.append(list(row))
    book.save(path)
    if cached is not None:
        _add_cached_values(path, cached)
    return path


def _add_cached_values(path, value):
    """Make the file look saved by Excel: formula cells carry their last computed value."""
    with zipfile.ZipFile(path) as source:
        parts = {name: source.read(name) for name in source.namelist()}
    for name in parts:
        if name.startswith("xl/worksheets/"):
            parts[name] = parts[name].replace(b"<v />", f"<v>{value}</v>".encode())
    with zipfile.ZipFile(path, "w") as target:
        for name, data in parts.items():
            target.writestr(name, data)


def actual(code, year):
    return Actual.objects.filter(kpi__code=code, fiscal_year=year).first()


def test_it_imports_a_csv_with_the_ways_people_write_numbers_and_years(tmp_path):
    path = write_csv(
        tmp_path / "actuals.csv",
        [
            ["1-1-K01", "令和6年度", "３２４，０８１件", "速報値"],
            ["1-3-K02", "R7", "10時間", ""],
            ["1-3-K01", "２０２５", "65％", ""],
            ["1-1-K03", "2025", "着手", ""],
            ["2-5-K01", "令和元年度", "", ""],  # blank value: a template row not filled in
        ],
    )
    result = import_actuals(path=path)
    assert len(result.added) == 4
    assert result.skipped_blank == [6]
    assert actual("1-1-K01", 2024).value == Decimal(324081)
    assert actual("1-1-K01", 2024).note == "速報値"
    assert actual("1-3-K02", 2025).value == Decimal(10)
    assert actual("1-3-K01", 2025).value == Decimal(65)
    assert actual("1-1-K03", 2025).stage == "着手"
    assert not actual("1-1-K01", 2024).is_demo


def test_it_reads_shift_jis_and_utf8_with_bom_and_japanese_headers(tmp_path):
    header = ["KPIコード", "年度", "実績値", "備考"]
    sjis = write_csv(
        tmp_path / "sjis.csv",
        [["1-1-K01", "R6", "324,081", "市民課集計"]],
        encoding="cp932",
        header=header,
    )
    import_actuals(path=sjis)
    assert actual("1-1-K01", 2024).note == "市民課集計"
    bom = write_csv(
        tmp_path / "bom.csv", [["1-1-K02", "R6", "1,200", ""]], encoding="utf-8-sig", header=header
    )
    import_actuals(path=bom)
    assert actual("1-1-K02", 2024).value == Decimal(1200)


def test_it_reads_minus_signs_people_type_where_the_kpi_may_go_below_zero(tmp_path):
    # A plan that prints a negative baseline (a change that may go either way) allows negatives.
    Kpi.objects.filter(code__in=["1-3-K01", "3-2-K01"]).update(baseline_value=Decimal(-10))
    path = write_csv(
        tmp_path / "minus.csv",
        [
            ["1-3-K01", "R7", "−3", ""],
            ["3-2-K01", "R7", "－2", ""],
            ["3-2-K01", "R8", "△1,500", ""],
        ],
    )
    import_actuals(path=path)
    assert actual("1-3-K01", 2025).value == Decimal(-3)
    assert actual("3-2-K01", 2025).value == Decimal(-2)
    assert actual("3-2-K01", 2026).value == Decimal(-1500)


def test_a_minus_sign_is_refused_where_the_plan_never_goes_below_zero(tmp_path):
    path = write_csv(
        tmp_path / "minus.csv", [["1-3-K01", "R7", "−3", ""], ["1-1-K01", "R6", "▲5件", ""]]
    )
    with pytest.raises(ImportRefused) as caught:
        import_actuals(path=path)
    assert caught.value.errors == [
        "2行目 実績値「−3」: 「−3」はマイナスの値ですが、このKPIは計画の現状値・目標値に"
        "マイナスがないので、0以上の値を入力してください（マイナスになりうる指標なら、"
        "DX推進課にご相談ください）。",
        "3行目 実績値「▲5件」: 「▲5件」はマイナスの値ですが、「件」で数える値はマイナスに"
        "ならないので、0以上の値を入力してください。",
    ]
    assert not Actual.objects.exists()


def test_an_excel_saved_file_with_formulas_imports(tmp_path):
    path = write_xlsx(
        tmp_path / "saved.xlsx", [["1-1-K01", "R6", "=300000+24081", None]], cached=324081
    )
    import_actuals(path=path)
    assert actual("1-1-K01", 2024).value == Decimal(324081)


def test_a_formula_without_a_cached_value_is_an_error_not_a_blank(tmp_path):
    path = write_xlsx(tmp_path / "generated.xlsx", [["1-1-K01", "R6", "=300000+24081", None]])
    with pytest.raises(ImportRefused) as caught:
        import_actuals(path=path)
    assert "2行目 実績値: 数式の計算結果が保存されていません" in caught.value.errors[0]
    assert not Actual.objects.exists()


def test_it_reads_the_sheet_named_jisseki_not_the_active_one(tmp_path):
    path = write_xlsx(
        tmp_path / "book.xlsx", [["1-1-K01", "R6", 324081, ""]], sheets=("表紙", "実績")
    )
    import_actuals(path=path)
    assert actual("1-1-K01", 2024).value == Decimal(324081)


def test_it_refuses_several_sheets_none_named_jisseki(tmp_path):
    path = write_xlsx(tmp_path / "book.xlsx", [["1-1-K01", "R6", 1, ""]], sheets=("表紙", "Sheet1"))
    with pytest.raises(ImportRefused, match="「実績」という名前のシートがありません"):
        import_actuals(path=path)


def test_a_single_sheet_with_another_name_is_read(tmp_path):
    path = write_xlsx(tmp_path / "one.xlsx", [["1-1-K01", 2024, 324081, ""]], sheets=("Sheet1",))
    import_actuals(path=path)
    assert actual("1-1-K01", 2024) is not None


def test_any_bad_row_saves_nothing_and_each_error_names_row_and_column(tmp_path):
    path = write_csv(
        tmp_path / "bad.csv",
        [
            ["1-1-K01", "R6", "324081", ""],  # good, must not be saved
            ["9-9-K01", "R6", "1", ""],
            ["1-1-K02", "R12", "5", ""],
            ["1-1-K02", "R2", "5", ""],
            ["1-3-K02", "R7", "たくさん", ""],
            ["1-1-K03", "R7", "50", ""],
            ["1-1-K01", "R7", "着手", ""],
            ["1-3-K01", "R7", "70", ""],
            ["1-3-K01", "令和7年度", "71", ""],
            ["1-3-K01", "来年", "71", ""],
        ],
    )
    with pytest.raises(ImportRefused) as caught:
        import_actuals(path=path)
    errors = caught.value.errors
    assert errors[0].startswith("3行目 KPIコード「9-9-K01」: このKPIコードは計画にありません")
    assert errors[1].startswith("4行目 年度「R12」") and "計画の期間外" in errors[1]
    assert errors[2].startswith("5行目 年度「R2」") and "計画の期間外" in errors[2]
    assert errors[3].startswith("6行目 実績値「たくさん」") and "数値として読めません" in errors[3]
    assert errors[4].startswith("7行目 実績値「50」") and "段階として読めません" in errors[4]
    assert errors[5].startswith("8行目 実績値「着手」") and "数値で測ります" in errors[5]
    assert errors[6].startswith("10行目 KPIコード「1-3-K01」") and "9行目にもあります" in errors[6]
    assert errors[7].startswith("11行目 年度「来年」")
    assert len(errors) == 8
    assert not Actual.objects.exists()


def test_a_model_validation_error_rolls_back_the_rows_already_saved(tmp_path, monkeypatch):
    # The parser lets 2101 through; the write path must refuse it and undo the first row.
    monkeypatch.setattr(
        importing, "check_fiscal_year", lambda kpi, raw: 2101 if raw == "X" else 2024
    )
    path = write_csv(
        tmp_path / "late.csv", [["1-1-K01", "R6", "324081", ""], ["1-1-K02", "X", "5", ""]]
    )
    with pytest.raises(ImportRefused) as caught:
        import_actuals(path=path)
    assert caught.value.errors[0].startswith(
        "3行目（1-1-K02 の令和83年度（2101年度））: 計画の期間外です"
    )
    assert not Actual.objects.exists()


def test_reimporting_updates_and_says_so(tmp_path):
    first = write_csv(tmp_path / "first.csv", [["1-1-K01", "R6", "324081", ""]])
    import_actuals(path=first)
    second = write_csv(
        tmp_path / "second.csv",
        [["1-1-K01", "R6", "325000", "確定値"], ["1-1-K02", "R6", "800", ""]],
    )
    result = import_actuals(path=second)
    assert [row.kpi.code for row, _old in result.changed] == ["1-1-K01"]
    assert result.changed[0][1] == "324,081"
    assert len(result.added) == 1
    assert actual("1-1-K01", 2024).value == Decimal(325000)
    assert Actual.objects.count() == 2
    again = import_actuals(path=second)
    assert len(again.unchanged) == 2


def test_a_dry_run_reports_and_saves_nothing(tmp_path, capsys):
    path = write_csv(tmp_path / "dry.csv", [["1-1-K01", "R6", "324081", ""]])
    call_command("import_actuals", str(path), "--dry-run")
    out = capsys.readouterr().out
    assert "2行目 追加: 1-1-K01 令和6年度（2024年度） = 324081" in out
    assert "保存していません" in out
    assert not Actual.objects.exists()
    assert not Actual.history.exists()


def test_the_command_exits_non_zero_with_the_row_errors(tmp_path):
    path = write_csv(tmp_path / "bad.csv", [["1-1-K01", "R6", "abc", ""]])
    with pytest.raises(CommandError) as caught:
        call_command("import_actuals", str(path))
    assert "何も保存していません" in str(caught.value)
    assert "2行目 実績値「abc」" in str(caught.value)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("empty.csv", b"", "ファイルが空です"),
        ("old.xls", b"\xd0\xcf\x11\xe0 legacy", ".xls 形式"),
        ("macro.xlsm", b"PK\x03\x04", ".xlsm 形式"),
        ("notes.txt", b"kpi_code", ".csv と .xlsx"),
        ("broken.xlsx", b"PK\x03\x04 truncated", "Excelファイル（.xlsx）として読めません"),
        ("renamed.csv", b"PK\x03\x04rest", "中身はExcelファイル"),
        ("noheader.csv", b"a,b,c\r\n1,2,3\r\n", "見出しの行が見つかりません"),
        ("binary.csv", bytes(range(256)) * 4, "文字コード"),
    ],
)
def test_it_refuses_files_it_cannot_read(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(ImportRefused) as caught:
        import_actuals(path=path)
    assert message in caught.value.errors[0]


def test_it_refuses_missing_and_duplicate_headers(tmp_path):
    missing = tmp_path / "missing.csv"
    missing.write_text("kpi_code,value\r\n1-1-K01,5\r\n", encoding="utf-8")
    with pytest.raises(ImportRefused, match="「年度」の列がありません"):
        import_actuals(path=missing)
    duplicate = tmp_path / "duplicate.csv"
    duplicate.write_text("kpi_code,年度,value,実績値\r\n1-1-K01,R6,5,6\r\n", encoding="utf-8")
    with pytest.raises(ImportRefused, match="「実績値」の列が2つあります"):
        import_actuals(path=duplicate)


def test_a_header_row_is_one_naming_the_code_or_value_and_another_column_in_rows_1_to_10(
    tmp_path,
):
    path = tmp_path / "late.csv"
    # Row 1 names one column only (a title), rows 2–9 are notes; the header is row 10.
    lines = ["実績", *[f"説明 {n}" for n in range(2, 10)], "KPIコード,年度,実績値"]
    path.write_text("\r\n".join([*lines, "1-1-K01,R6,324081", ""]), encoding="utf-8")
    import_actuals(path=path)
    assert actual("1-1-K01", 2024).value == Decimal(324081)
    without_value = tmp_path / "without_value.csv"
    without_value.write_text("説明\r\nKPIコード,年度,備考\r\n1-1-K01,R6,\r\n", encoding="utf-8")
    with pytest.raises(ImportRefused) as caught:
        import_actuals(path=without_value)
    assert caught.value.errors == [
        "2行目: 見出し「実績値」の列がありません。見出しの行に、この列を加えてください。"
    ]


def test_extra_columns_and_a_title_row_are_fine(tmp_path):
    path = tmp_path / "template.csv"
    path.write_text(
        "令和6年度 実績入力シート,,,,\r\nKPIコード,指標名,年度,実績値,備考\r\n1-1-K01,電子申請,R6,324081,\r\n",
        encoding="utf-8",
    )
    import_actuals(path=path)
    assert actual("1-1-K01", 2024).value == Decimal(324081)


def test_it_refuses_a_file_over_5_mb_before_reading_it(tmp_path):
    path = tmp_path / "big.csv"
    path.write_bytes(b"kpi_code,fiscal_year,value\r\n" + b"1-1-K01,R6,1\r\n" * 420_000)
    with pytest.raises(ImportRefused, match="5MB以下"):
        import_actuals(path=path)


def test_it_refuses_a_zip_bomb_before_unpacking(tmp_path):
    path = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"0" * (60 * 1024 * 1024))
    assert path.stat().st_size < 1024 * 1024
    with pytest.raises(ImportRefused, match="展開後50MB超"):
        import_actuals(path=path)


# ---- size: exactly 10,000 rows of data, in a fixed number of statements -------------------


def _rows(count):
    return [["1-1-K01", "R6", str(index), ""] for index in range(count)]


@pytest.mark.parametrize("suffix", ["csv", "xlsx"])
def test_a_file_of_exactly_10000_data_rows_is_read_below_its_heading_and_title(tmp_path, suffix):
    from shizuoka_dx.tabular import MAX_ROWS

    path = tmp_path / f"full.{suffix}"
    title = ["実績の報告（令和7年度）", "", "", ""]
    if suffix == "csv":
        text = "\r\n".join(",".join(row) for row in [title, HEADER, *_rows(MAX_ROWS)])
        path.write_text(text + "\r\n", encoding="utf-8")
    else:
        book = Workbook(write_only=True)
        sheet = book.create_sheet("実績")
        for row in [title, HEADER, *_rows(MAX_ROWS)]:
            sheet.append(row)
        book.save(path)
    rows = importing.read_rows(path)
    assert len(rows) == MAX_ROWS == 10_000
    assert (rows[0].number, rows[-1].number) == (3, MAX_ROWS + 2)


def test_a_file_of_10001_data_rows_is_refused_with_the_limit(tmp_path):
    path = write_csv(tmp_path / "long.csv", _rows(10_001))
    with pytest.raises(ImportRefused) as caught:
        import_actuals(path=path)
    assert caught.value.errors == [
        "行が多すぎます（10,000行超）。実績の行だけのファイルにしてください。"
    ]


def _free_figures(count):
    """``count`` (KPI, FY) pairs of the real plan that take a number, each once."""
    pairs = []
    for kpi in Kpi.objects.exclude(direction="milestone").order_by("code"):
        start, end = kpi.fiscal_year_window()
        pairs += [(kpi.code, year) for year in range(start, end + 1)]
    assert len(pairs) >= count
    return pairs[:count]


def test_an_import_costs_a_few_statements_per_hundred_rows_not_several_a_row(tmp_path):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def statements(count, name):
        path = write_csv(
            tmp_path / name, [[code, year, "50", "速報値"] for code, year in _free_figures(count)]
        )
        with CaptureQueriesContext(connection) as context:
            result = import_actuals(path=path)
        return len(context.captured_queries), result

    statements(3, "first.csv")  # the system account is created on first use
    Actual.objects.all().delete()
    small, _ = statements(10, "small.csv")
    Actual.objects.all().delete()
    large, result = statements(150, "large.csv")
    assert len(result.added) == 150 and Actual.objects.count() == 150
    # Only the bulk inserts' batches grow (SQLite takes about 60 history rows a statement).
    assert large - small <= 150 // 40, (small, large)


def test_every_row_added_or_changed_by_an_import_has_its_history_row(tmp_path, dx_staff):
    from pdca.services import imports

    figures = _free_figures(30)
    first = write_csv(tmp_path / "first.csv", [[c, y, "10", ""] for c, y in figures])
    imports.import_actuals(path=first, user=dx_staff)
    changed = [[c, y, "20" if i % 2 else "10", ""] for i, (c, y) in enumerate(figures)]
    imports.import_actuals(path=write_csv(tmp_path / "second.csv", changed), user=dx_staff)
    for index, (code, year) in enumerate(figures):
        saved = actual(code, year)
        rows = list(Actual.history.filter(id=saved.pk).order_by("history_id"))
        expected = [("+", 10, 1), ("~", 20, 2)] if index % 2 else [("+", 10, 1)]
        assert [(r.history_type, r.value, r.version) for r in rows] == expected, code
        assert {r.history_user for r in rows} == {dx_staff}
        assert rows[-1].history_change_reason == (
            "取り込み（second.csv）" if index % 2 else "取り込み（first.csv）"
        )
        assert (saved.value, saved.version, saved.entered_by) == (
            rows[-1].value,
            len(rows),
            dx_staff,
        )
