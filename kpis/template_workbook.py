"""The yearly actuals template: an Excel file a department fills in and sends back for import.

``template_rows`` chooses the KPIs (once each, in plan order, optionally only one department's);
``actuals_template`` renders them as a workbook that ``import_actuals`` reads without any editing:
the sheet is named 実績, its headings are the importer's own (KPIコード, 年度, 実績値, 備考), the
other columns are for reading only and are ignored by the importer, and only the 実績値 and 備考
cells can be changed (the sheet is protected without a password).
"""

from dataclasses import dataclass

from openpyxl import Workbook
from openpyxl.styles import Alignment, PatternFill, Protection
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from kpis.importing import COLUMN_LABELS, SHEET_NAME
from kpis.models import DEMO_NOTICE, Stage
from kpis.selectors import item_kpis, plan_items
from priorities.models import Department
from shizuoka_dx.fiscal import format_fiscal_year, short_fiscal_year
from shizuoka_dx.numbers import plain_number
from shizuoka_dx.xlsx_layout import (
    BOLD,
    BORDER,
    CENTER,
    HEADER_FILL,
    NOTICE_FONT,
    TITLE_FONT,
    WRAP,
    SheetWriter,
)

HOWTO_SHEET = "記入方法"
INPUT_FILL = PatternFill("solid", fgColor="FFF2CC")
UNLOCKED = Protection(locked=False)
# A milestone KPI is entered as one of its stages, so the sheet names them instead of 完了目標.
STAGED_MEASURE = f"段階（{'・'.join(Stage.labels)}）"


class UnknownDepartment(ValueError):
    def __init__(self, name: str, known: list[str]):
        self.known = known
        super().__init__(
            f"所管課「{name}」は計画にありません。指定できる所管課: {'、'.join(known)}"
        )


@dataclass
class TemplateRow:
    item: str
    code: str
    name: str
    unit: str
    measure: str
    baseline: str
    target: str
    previous: object  # last FY's actual: a number, a stage, or None
    previous_is_demo: bool
    milestone: bool


def _printed(point_text: str, value) -> str:
    if point_text:
        return point_text
    return "－" if value is None else f"{value.normalize():,f}"


def template_rows(*, fiscal_year: int, department: str | None = None) -> list[TemplateRow]:
    """Each KPI printed on an item in scope, once (where it is first printed in scope)."""
    if department is not None:
        known = list(Department.objects.order_by("name").values_list("name", flat=True))
        if department not in known:
            raise UnknownDepartment(department, known)
    rows: dict[str, TemplateRow] = {}
    for item in plan_items():
        if department is not None and department not in {d.name for d in item.departments.all()}:
            continue
        for kpi in item_kpis(item):
            start, end = kpi.fiscal_year_window()
            if (
                kpi.code in rows
                or not start <= fiscal_year <= end
                or kpi.spec_for(fiscal_year).pending  # 設定予定: nothing to enter yet
            ):
                continue
            previous = next(
                (a for a in kpi.actuals.all() if a.fiscal_year == fiscal_year - 1), None
            )
            measure = STAGED_MEASURE if kpi.is_milestone else kpi.get_direction_display()
            if kpi.cumulative:
                measure += "（累計）"
            rows[kpi.code] = TemplateRow(
                item=f"{item.code} {item.title}",
                code=kpi.code,
                name=kpi.name,
                unit=kpi.unit,
                measure=measure,
                baseline=_printed(kpi.baseline_text, kpi.baseline_value),
                target=_printed(kpi.target_text, kpi.target_value),
                previous=(previous.stage or plain_number(previous.value)) if previous else None,
                previous_is_demo=bool(previous and previous.is_demo),
                milestone=kpi.is_milestone,
            )
    return list(rows.values())


# ---- the workbook ----------------------------------------------------------------------

HEADINGS = [
    ("項目", 26),
    (COLUMN_LABELS["kpi_code"], 11),
    ("指標名", 42),
    ("単位", 8),
    ("測り方", 15),
    ("現状値（計画）", 18),
    ("目標値（計画）", 18),
    (None, 15),  # 前年度の実績（R6）
    (COLUMN_LABELS["fiscal_year"], 13),
    (COLUMN_LABELS["value"], 16),
    (COLUMN_LABELS["note"], 30),
]
VALUE_COLUMN = 10
NOTE_COLUMN = 11


def actuals_template(*, fiscal_year: int, department: str | None = None) -> Workbook:
    rows = template_rows(fiscal_year=fiscal_year, department=department)
    return render_template(rows, fiscal_year=fiscal_year, department=department)


def render_template(
    rows: list[TemplateRow], *, fiscal_year: int, department: str | None = None
) -> Workbook:
    book = Workbook()
    write_actuals_sheet(book.active, rows, fiscal_year=fiscal_year, department=department)
    write_howto(
        book.create_sheet(HOWTO_SHEET), rows, fiscal_year=fiscal_year, department=department
    )
    book.active = 0
    return book


def write_actuals_sheet(
    ws: Worksheet, rows: list[TemplateRow], *, fiscal_year: int, department: str | None
) -> None:
    ws.title = SHEET_NAME
    headings = [
        heading or f"前年度の実績（{short_fiscal_year(fiscal_year - 1)}）"
        for heading, _width in HEADINGS
    ]
    sheet = SheetWriter(ws, [width for _heading, width in HEADINGS])
    last = sheet.last_column
    scope = f"（所管課: {department}）" if department else "（全所管課）"
    sheet.put(
        1,
        f"{format_fiscal_year(fiscal_year)} KPI実績 入力シート{scope}",
        span=last,
        font=TITLE_FONT,
        border=False,
    )
    sheet.next()
    sheet.put(
        1,
        "黄色のセル（実績値・備考）に入力してください。分からない実績は空欄のままで大丈夫です。"
        f"書き方は「{HOWTO_SHEET}」シートを見てください。",
        span=last,
        border=False,
    )
    sheet.next()
    if any(row.previous_is_demo for row in rows):
        sheet.put(1, f"前年度の実績に{DEMO_NOTICE}", span=last, font=NOTICE_FONT, border=False)
        sheet.next()
    for column, heading in enumerate(headings, start=1):
        fill = INPUT_FILL if column in (VALUE_COLUMN, NOTE_COLUMN) else HEADER_FILL
        sheet.put(column, heading, font=BOLD, fill=fill, align=CENTER)
    header_row = sheet.row
    sheet.next()

    milestone = DataValidation(
        type="list",
        formula1='"' + ",".join(Stage.values) + '"',
        allow_blank=True,
        showErrorMessage=True,
        errorTitle="段階を選んでください",
        error=f"{'・'.join(Stage.values)} のどれかを一覧から選んでください。",
        showInputMessage=True,
        promptTitle="段階を選んでください",
        prompt=f"一覧から {'・'.join(Stage.values)} のどれかを選びます。分からなければ空欄のままにします。",
    )
    numeric: dict[str, DataValidation] = {}
    for row in rows:
        r = sheet.row
        values = [
            row.item,
            row.code,
            row.name,
            row.unit or ("－" if not row.milestone else "段階"),
            row.measure,
            row.baseline,
            row.target,
            row.previous if row.previous is not None else "－",
            format_fiscal_year(fiscal_year, western=False),
        ]
        for column, value in enumerate(values, start=1):
            align = CENTER if column in (2, 4, 9) else WRAP
            if isinstance(value, int | float):
                align = Alignment(vertical="top", horizontal="right")
            sheet.put(column, value, align=align)
        for column in (VALUE_COLUMN, NOTE_COLUMN):
            cell = ws.cell(row=r, column=column)
            cell.fill = INPUT_FILL
            cell.border = BORDER
            cell.protection = UNLOCKED
            cell.alignment = WRAP
            # Text format: Excel keeps what is typed (「98.2％」 stays 98.2, not 0.982).
            cell.number_format = "@"
        if row.milestone:
            milestone.add(f"{get_column_letter(VALUE_COLUMN)}{r}")
        else:
            validation = numeric.get(row.unit)
            if validation is None:
                validation = numeric[row.unit] = _number_hint(row.unit)
            validation.add(f"{get_column_letter(VALUE_COLUMN)}{r}")
        sheet.next()
    for validation in [milestone, *numeric.values()]:
        if validation.sqref:
            ws.add_data_validation(validation)
    sheet.finish(title_rows=header_row)
    ws.freeze_panes = f"C{header_row + 1}"
    ws.protection.sheet = True
    ws.protection.formatColumns = False  # people may widen columns and rows
    ws.protection.formatRows = False
    ws.protection.selectLockedCells = False
    ws.protection.selectUnlockedCells = False


def _number_hint(unit: str) -> DataValidation:
    example = f"1,234{unit}" if unit else "1,234"
    return DataValidation(
        type=None,  # any value: the importer reads full-width digits, units, △ and 万
        allow_blank=True,
        showInputMessage=True,
        showErrorMessage=False,
        promptTitle="実績値（数値）",
        prompt=(
            f"数値を入力します（例: 1234、{example}）。単位{f'（{unit}）' if unit else ''}や"
            "全角数字のままでもかまいません。分からなければ空欄のままにします。"
        ),
    )


def write_howto(
    ws: Worksheet, rows: list[TemplateRow], *, fiscal_year: int, department: str | None
) -> None:
    year = format_fiscal_year(fiscal_year)
    scope = f"{department}が所管する重点項目" if department else "すべての重点項目"
    milestones = sum(1 for row in rows if row.milestone)
    steps = [
        f"このファイルは、{year}のKPIの実績を集めるためのものです。"
        f"{scope}のKPI {len(rows)} 件が「{SHEET_NAME}」シートに並んでいます。",
        f"「{SHEET_NAME}」シートの黄色のセル（実績値・備考）だけに入力してください。"
        "ほかのセルは変えられないように保護しています（パスワードはありません）。",
        "実績値は数値で入力します。「324081」「324,081件」「98.2％」のように、単位や全角数字"
        "（３２４，０８１）のままでもかまいません。マイナスは「-3」「△3」と書けます。"
        "「3.2万件」も読めます。単位はそのKPIの単位（「単位」の列）と同じものだけ使えます。",
        f"「測り方」が段階のKPI（{milestones} 件）は、セルを選ぶと出る一覧から"
        f"{'・'.join(Stage.values)}のどれかを選びます。",
        "「測り方」に（累計）とあるKPIは、その年度の分だけでなく、年度末までの合計を入力します。",
        f"実績値は{format_fiscal_year(fiscal_year, western=False)}末（3月31日）時点の値です。"
        "速報値のときは、備考に「速報値」と書いてください。出典や集計方法も備考に書けます。",
        "まだ分からない実績は、空欄のままにしてください。空欄の行は取り込みのときに読み飛ばします"
        "（前の値が消えることはありません）。",
        "行や列の追加・削除、行の非表示、シート名の変更、セルの結合はしないでください。"
        "数式は使わず、値を直接入力してください。",
        "入力が終わったら、Excel ブック（.xlsx）のまま保存して、DX推進課へ送ってください。"
        "ファイル名は変えてもかまいません。",
        "DX推進課は、届いたファイルを取り込む前に内容を確認します。"
        "誤りがあると、何行目のどの列がどう違うかの一覧が出て、何も保存されません。"
        "その一覧をお知らせしますので、直して送り直してください。",
    ]
    sheet = SheetWriter(ws, [6, 100])
    sheet.put(1, f"記入方法（{year}のKPI実績）", span=2, font=TITLE_FONT, border=False)
    sheet.next(2)
    for number, text in enumerate(steps, start=1):
        sheet.put(1, number, align=CENTER, fmt="0")
        sheet.put(2, text)
        sheet.next()
    sheet.next()
    sheet.put(1, "段階の意味", span=2, font=BOLD, border=False)
    sheet.next()
    meanings = {
        "未着手": "まだ取り組み始めていない（達成率 0％として計算します）",
        "着手": "取り組み始めたが、まだ終わっていない（50％）",
        "完了": "目標の状態になった（100％）",
    }
    for stage, meaning in meanings.items():
        sheet.put(1, stage, align=CENTER)
        sheet.put(2, meaning)
        sheet.next()
    sheet.finish(title_rows=1)
