"""Form ① and Form ② (様式①・様式②) as an Excel workbook, in the plan's own layout.

Everything is read from the open-data document (``pdca.opendata.build_document``), never
from the database: the same function renders the live data now and a frozen published snapshot
later. Nothing here computes a rate or a grade; it only lays out what the document says.

- ``forms_workbook`` renders the workbook: a cover sheet 表紙, one sheet per item (様式①) and one
  per Form ② record (様式②);
- the helpers above it choose what each sheet shows (years, KPIs, sheet names) as plain values.

Every text cell goes through ``xlsx_cell`` (a leading ``= + - @``, tab or CR gets an apostrophe), so
plan text can never run as a formula; numbers stay numbers with a thousands separator.
"""

from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime

from django.utils import timezone
from openpyxl import Workbook
from openpyxl.styles import Alignment
from openpyxl.worksheet.worksheet import Worksheet

from kpis.calculations import GRADES
from kpis.models import DEMO_NOTICE
from pdca.presentation import item_kpis, latest_year, years_with_actuals
from shizuoka_dx.fiscal import era_year, fiscal_year_of, format_fiscal_year, short_fiscal_year
from shizuoka_dx.xlsx_layout import (
    BOLD,
    CENTER,
    HEADER_FILL,
    LABEL_FILL,
    NOTICE_FONT,
    PDCA_FILL,
    RATE_FORMAT,
    SECTION_FONT,
    TITLE_FONT,
    WRAP,
    SheetNames,
    SheetWriter,
    add_sheet,
    link_to,
    split_columns,
)

COVER_TITLE = "表紙"
CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳"

# ---- what the sheets show (plain values) -----------------------------------------------


def workbook_year(document: dict) -> int:
    """The FY a workbook shows when none is chosen: the latest with any actual, else this one."""
    return latest_year(document) or fiscal_year_of(timezone.localdate())


def plan_years(document: dict) -> list[int]:
    """The roadmap's columns (R6, R7, R8 for the Shizuoka plan): every FY a roadmap entry covers."""
    years = set()
    for item in document["items"]:
        for initiative in item["initiatives"]:
            for entry in initiative["roadmap"]:
                start = entry["fiscal_year"]
                if start is None:
                    continue
                years.update(range(start, (entry["until_fiscal_year"] or start) + 1))
    return sorted(years)


def shown_years(document: dict, fiscal_year: int) -> list[int]:
    """The FYs whose actuals the item sheets show: the plan's years and any FY with actuals, up
    to ``fiscal_year``, which is always shown."""
    years = {
        year
        for year in [*plan_years(document), *years_with_actuals(document["items"])]
        if year < fiscal_year
    }
    return [*sorted(years), fiscal_year]


def year_columns(document: dict, fiscal_year: int) -> tuple[list[int], list[int]]:
    """(The FYs whose actuals the item sheets show, the roadmap's FYs) for the whole document."""
    years = shown_years(document, fiscal_year)
    return years, plan_years(document) or years


def _most_common_year(years) -> int | None:
    counted = Counter(year for year in years if year)
    return counted.most_common(1)[0][0] if counted else None


@dataclass
class Form2Sheet:
    system: dict
    item: dict | None
    label: str
    name: str = ""


@dataclass
class Scope:
    items: list[dict]
    form2: list[Form2Sheet] = field(default_factory=list)

    def form2_for(self, item_code: str) -> list[Form2Sheet]:
        return [sheet for sheet in self.form2 if sheet.item and sheet.item["code"] == item_code]


def form2_label(system: dict, item: dict | None) -> str:
    """The record's mark on the item (①, ②…): from the item's tool list, else its position."""
    if item is None:
        return ""
    for tool in item["tools"]:
        if tool["name"] == system["name"] and tool["label"]:
            return tool["label"]
    return ""


def choose_scope(document: dict, item_codes: Collection[str] | None) -> Scope:
    items = [item for item in document["items"] if item_codes is None or item["code"] in item_codes]
    by_code = {item["code"]: item for item in items}
    scope = Scope(items)
    for system in document["systems"]:
        placed = [by_code[code] for code in system["items"] if code in by_code]
        if item_codes is not None and not placed:
            continue
        item = placed[0] if placed else None
        scope.form2.append(Form2Sheet(system, item, form2_label(system, item)))
    positions: Counter = Counter()
    for sheet in scope.form2:
        code = sheet.item["code"] if sheet.item else ""
        positions[code] += 1
        if not sheet.label and sheet.item:
            number = positions[code]
            sheet.label = CIRCLED[number - 1] if number <= len(CIRCLED) else f"({number})"
    return scope


def generated_on(document: dict) -> str:
    text = document.get("generated_at") or ""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return text
    return f"{moment.year}年{moment.month}月{moment.day}日 {moment.hour}時{moment.minute:02d}分"


# ---- the cover sheet -------------------------------------------------------------------


def write_cover(ws: Worksheet, document: dict, *, fiscal_year: int, contents: list[tuple]):
    sheet = SheetWriter(ws, [50, 56, 28])
    plan = document["plan"]
    sheet.put(1, plan["title"] or "アクションプラン", span=3, font=TITLE_FONT, border=False)
    sheet.next()
    sheet.put(1, "様式①・様式②（Excel版）", span=3, font=SECTION_FONT, border=False)
    sheet.next(2)
    published = document.get("published_fiscal_year")
    facts = [
        ("対象年度", format_fiscal_year(fiscal_year)),
        ("作成日", generated_on(document)),
        (
            "データ",
            f"公表済みの内容（{format_fiscal_year(published)}）"
            if published
            else "入力済みの最新の内容（公表前の値を含むことがあります）",
        ),
        ("計画の策定", plan.get("established") or "－"),
        (
            "実績の見方",
            f"各重点項目のシートに、{format_fiscal_year(fiscal_year, western=False)}までの実績・達成率・評価を載せています。",
        ),
    ]
    for label, value in facts:
        sheet.put(1, label, font=BOLD, fill=LABEL_FILL)
        sheet.put(2, value, span=2)
        sheet.next()
    if document.get("contains_demo_data"):
        sheet.next()
        sheet.put(1, DEMO_NOTICE, span=3, font=NOTICE_FONT, border=False)
        sheet.next()
    sheet.next()
    sheet.put(1, "シートの一覧", span=3, font=SECTION_FONT, border=False)
    sheet.next()
    for column, heading in enumerate(("シート名", "内容", "所管課"), start=1):
        sheet.put(column, heading, font=BOLD, fill=HEADER_FILL, align=CENTER)
    sheet.next()
    for name, description, departments in contents:
        link_to(sheet.put(1, name), name)
        sheet.put(2, description)
        sheet.put(3, departments)
        sheet.next()
    sheet.finish(title_rows=0)


# ---- Form ① --------------------------------------------------------------------------


def write_title(sheet: SheetWriter, document: dict, title: str, subtitle: str) -> int:
    """The title lines of a Form ①/② sheet (and the demo notice); returns how many there are,
    the rows repeated on every printed page."""
    sheet.put(1, title, span=sheet.last_column, font=TITLE_FONT, border=False)
    sheet.next()
    sheet.put(1, subtitle, span=sheet.last_column, border=False)
    sheet.next()
    if not document.get("contains_demo_data"):
        return 2
    sheet.put(1, DEMO_NOTICE, span=sheet.last_column, font=NOTICE_FONT, border=False)
    sheet.next()
    return 3


def _grade_text(actual: dict | None) -> str:
    if actual is None:
        return "未測定"
    return f"{actual['grade']} {actual['grade_label']}".strip()


def write_item(
    ws: Worksheet,
    document: dict,
    item: dict,
    *,
    fiscal_year: int,
    form2: list[Form2Sheet],
    columns: tuple[list[int], list[int]] | None = None,
) -> None:
    """One item's Form ① sheet. ``columns`` is (the FYs of the KPI table, the roadmap's FYs),
    the same for every item: ``forms_workbook`` works them out once for the whole document."""
    years, roadmap_years = columns or year_columns(document, fiscal_year)
    kpis = item_kpis(item)
    widths = [11, 34, 7, 17, 17] + [12, 9, 12] * len(years) + [46]
    while len(widths) - 3 < len(roadmap_years):
        widths.insert(-1, 12)
    sheet = SheetWriter(ws, widths)
    last = sheet.last_column
    pillar = next((p for p in document["pillars"] if p["number"] == item["pillar"]), None)
    pillar_text = f"基本方針の柱{item['pillar']}　{pillar['title']}" if pillar else ""

    departments = "、".join(item["departments"]) or "－"
    title_rows = write_title(
        sheet,
        document,
        f"様式①　{pillar_text}　｜　重点項目 {item['code']}　{item['title']}",
        f"所管課: {departments}　／　対象年度: {format_fiscal_year(fiscal_year)}",
    )
    summary = item.get("summary") or {}
    if summary.get("fiscal_year") == fiscal_year and summary.get("progress_percent") is not None:
        grades = summary["grades"]
        counts = "・".join(f"{g} {grades.get(g, 0)}件" for g in GRADES if g != "-")
        sheet.put(
            1,
            f"進捗（{format_fiscal_year(fiscal_year, western=False)}）: "
            f"{summary['progress_percent']:.1f}%　{counts}・未測定 {summary['unmeasured']}件",
            span=last,
            border=False,
        )
        sheet.next()
    sheet.next()

    # 現状と目指す姿: three blocks side by side, one bullet per row.
    sheet.put(1, "■現状と目指す姿", span=last, font=SECTION_FONT, border=False)
    sheet.next()
    blocks = split_columns(widths, 1, last, 3)
    sections = [
        ("現状（As-Is）", item["as_is"]),
        ("目指す姿（To-be）", item["to_be"]),
        ("課題（Gap）", item["gap"]),
    ]
    for (start, span), (heading, _texts) in zip(blocks, sections, strict=True):
        sheet.put(start, heading, span=span, font=BOLD, fill=HEADER_FILL, align=CENTER)
    sheet.next()
    depth = max((len(texts) for _heading, texts in sections), default=0) or 1
    for index in range(depth):
        for (start, span), (_heading, texts) in zip(blocks, sections, strict=True):
            sheet.put(start, texts[index] if index < len(texts) else None, span=span)
        sheet.next()
    sheet.next()

    # 主な取組とロードマップ: the roadmap bars merge across the years they span.
    sheet.put(1, "■主な取組とロードマップ", span=last, font=SECTION_FONT, border=False)
    sheet.next()
    year_runs = split_columns(widths, 3, last - 1, len(roadmap_years))
    sheet.put(1, "番号", font=BOLD, fill=HEADER_FILL, align=CENTER)
    sheet.put(2, "主な取組", font=BOLD, fill=HEADER_FILL, align=CENTER)
    for (start, span), year in zip(year_runs, roadmap_years, strict=True):
        heading = f"{short_fiscal_year(year)}（{era_year(year)}）"
        sheet.put(start, heading, span=span, font=BOLD, fill=HEADER_FILL, align=CENTER)
    sheet.put(last, "効果・KPI", font=BOLD, fill=HEADER_FILL, align=CENTER)
    sheet.next()
    for initiative in item["initiatives"]:
        entries = initiative["roadmap"] or [None]
        height = len(entries)
        name = ("再掲：" if initiative["repeated"] else "") + initiative["name"]
        if initiative["ref"]:
            name += f"（{initiative['ref']}）"
        sheet.put(1, initiative["number"], rows=height, align=CENTER, fmt="0")
        sheet.put(2, name, rows=height)
        kpi_lines = [
            f"{kpi['code']} {kpi['name']}"
            + (f"（{kpi['printed_as']}）" if kpi["printed_as"] else "")
            for kpi in initiative["kpis"]
        ]
        if initiative["kpi_note"]:
            kpi_lines.append(initiative["kpi_note"])
        sheet.put(last, "\n".join(kpi_lines) or "－", rows=height)
        for offset, entry in enumerate(entries):
            row = sheet.row + offset
            if entry is None:
                sheet.put(3, None, row=row, span=last - 3)
                continue
            runs = roadmap_runs(entry, roadmap_years, year_runs)
            for start, span, text in runs:
                sheet.put(start, text, row=row, span=span, align=CENTER if text else WRAP)
        sheet.next(height)
    sheet.next()

    # 効果・KPI: baseline and target as printed, then each FY's actual, rate and grade.
    sheet.put(1, "■効果・KPI", span=last, font=SECTION_FONT, border=False)
    sheet.next()
    baseline_year = _most_common_year(kpi["baseline"]["fiscal_year"] for kpi in kpis)
    target_year = _most_common_year(kpi["target"]["fiscal_year"] for kpi in kpis)
    headings = [
        "KPIコード",
        "指標名",
        "単位",
        f"現状（{short_fiscal_year(baseline_year)}）" if baseline_year else "現状",
        f"目標値（{short_fiscal_year(target_year)}）" if target_year else "目標値",
    ]
    for year in years:
        short = short_fiscal_year(year)
        headings += [f"{short} 実績", f"{short} 達成率（％）", f"{short} 評価"]
    headings.append(f"評価の理由（{short_fiscal_year(fiscal_year)}）")
    for column, heading in enumerate(headings, start=1):
        span = last - column + 1 if column == len(headings) else 1
        sheet.put(column, heading, span=span, font=BOLD, fill=HEADER_FILL, align=CENTER)
    sheet.next()
    if not kpis:
        sheet.put(1, "この項目にはKPIの記載がありません。", span=last)
        sheet.next()
    for kpi in kpis:
        by_year = {actual["fiscal_year"]: actual for actual in kpi["actuals"]}
        name = kpi["name"] + (f"（{kpi['printed_as']}）" if kpi["printed_as"] else "")
        if kpi["cumulative"]:
            name += "【累計】"
        values = [
            kpi["code"],
            name,
            kpi["unit"] or ("段階" if kpi["direction"] == "milestone" else ""),
            kpi["baseline"]["text"] or _printed(kpi["baseline"]["value"]),
            kpi["target"]["text"] or _printed(kpi["target"]["value"]),
        ]
        for column, value in enumerate(values, start=1):
            sheet.put(column, value)
        column = len(values) + 1
        for year in years:
            actual = by_year.get(year)
            value = actual["value"] if actual else None
            sheet.put(column, value if value is not None else "－", align=_right(value))
            rate = actual["rate_percent"] if actual else None
            sheet.put(column + 1, rate, fmt=RATE_FORMAT, align=_right(rate))
            sheet.put(column + 2, _grade_text(actual), align=CENTER)
            column += 3
        latest = by_year.get(fiscal_year)
        reason = latest["reason"] if latest else "この年度の実績はまだありません。"
        if latest and latest.get("demo"):
            reason += "（デモ用の架空の値）"
        sheet.put(column, reason, span=last - column + 1)
        sheet.next()
    sheet.next()

    # 主な業務システム/活用ツール, with a link to each Form ② sheet of the item.
    sheet.put(1, "■主な業務システム/活用ツール", span=last, font=SECTION_FONT, border=False)
    sheet.next()
    tool_columns = [(1, 1, "記号"), (2, 1, "システム・ツール名"), (3, 3, "所管課")]
    tool_columns.append((6, last - 5, "様式②のシート"))
    for start, span, heading in tool_columns:
        sheet.put(start, heading, span=span, font=BOLD, fill=HEADER_FILL, align=CENTER)
    sheet.next()
    sheets_by_name = {form.system["name"]: form.name for form in form2}
    if not item["tools"]:
        sheet.put(1, "記載なし", span=last)
        sheet.next()
    for tool in item["tools"]:
        sheet.put(1, tool["label"] or None, align=CENTER)
        sheet.put(2, ("再掲：" if tool["repeated"] else "") + tool["name"])
        sheet.put(3, tool["department"] or "－", span=3)
        target = sheets_by_name.get(tool["name"])
        cell = sheet.put(6, target, span=last - 5)
        if target:
            link_to(cell, target)
        sheet.next()
    sheet.finish(title_rows=title_rows)


def _printed(value) -> str:
    return "－" if value is None else f"{value:,}"


RIGHT = Alignment(vertical="top", horizontal="right")


def _right(value) -> Alignment:
    return RIGHT if isinstance(value, int | float) else CENTER


def roadmap_runs(entry: dict, years: list[int], runs: list[tuple[int, int]]):
    """One roadmap entry on its row: (start column, span, text) for the bar and the empty years."""
    start, until = entry["fiscal_year"], entry["until_fiscal_year"] or entry["fiscal_year"]
    if start is None:
        first_column = runs[0][0]
        last_column = runs[-1][0] + runs[-1][1] - 1
        return [
            (first_column, last_column - first_column + 1, f"{entry['text']}（時期の記載なし）")
        ]
    covered = [i for i, year in enumerate(years) if start <= year <= until]
    if not covered:
        covered = [0 if start < years[0] else len(years) - 1]
    out = []
    for index, (column, span) in enumerate(runs):
        if index < covered[0] or index > covered[-1]:
            out.append((column, span, None))
        elif index == covered[0]:
            end_column = runs[covered[-1]][0] + runs[covered[-1]][1] - 1
            out.append((column, end_column - column + 1, entry["text"]))
    return out


# ---- Form ② --------------------------------------------------------------------------


def _money(cost: dict) -> tuple[str, object, str]:
    """(printed text, thousand yen, note) of one cost as the document gives it."""
    notes = []
    if cost.get("fiscal_year"):
        notes.append(format_fiscal_year(cost["fiscal_year"], western=False))
    if cost.get("planned"):
        notes.append("予定額")
    return cost.get("text") or "－", cost.get("thousand_yen"), "・".join(notes)


def write_form2(
    ws: Worksheet, document: dict, form: Form2Sheet, *, fiscal_year: int, unit_of: dict[str, str]
) -> None:
    system = form.system
    widths = [11, 20, 30, 16, 22, 40]
    sheet = SheetWriter(ws, widths)
    last = sheet.last_column
    where = f"{form.item['code']} {form.item['title']}　" if form.item else ""
    codes = "、".join(system["items"]) or "－"
    title_rows = write_title(
        sheet,
        document,
        f"様式②　{where}{form.label}{system['name']}",
        f"所管課: {system['department'] or '－'}　／　掲載している重点項目: {codes}",
    )
    sheet.next()

    def block(pdca: str, heading: str, rows: list[tuple[str, object]]):
        sheet.put(1, pdca, rows=len(rows) + 1, font=BOLD, fill=PDCA_FILL, align=CENTER)
        sheet.put(2, heading, span=last - 1, font=BOLD, fill=HEADER_FILL)
        sheet.next()
        for label, value in rows:
            if label is None:
                sheet.put(2, value, span=last - 1)
            else:
                sheet.put(2, label, font=BOLD, fill=LABEL_FILL)
                sheet.put(3, value, span=last - 2)
            sheet.next()

    block(
        "PLAN/DO",
        "■内容",
        [
            ("概要", system["overview"] or "－"),
            ("構成", system["configuration"] or "－"),
            ("導入年度", system["introduced"] or "－"),
        ],
    )

    # ■経費: the printed text beside the parsed amount.
    cost_rows = [
        ("導入経費", system["initial_cost"]),
        ("運用経費（年額）", system["operating_cost"]),
    ]
    for part in system["cost_breakdown"]:
        cost_rows.append((f"内訳「{part['name']}」導入経費", part["initial_cost"]))
        cost_rows.append((f"内訳「{part['name']}」運用経費", part["operating_cost"]))
    costs = [c for c in system["costs"] if c["fiscal_year"] <= fiscal_year]
    height = 2 + len(cost_rows) + (1 + max(len(costs), 1))
    sheet.put(1, "PLAN/DO", rows=height, font=BOLD, fill=PDCA_FILL, align=CENTER)
    sheet.put(2, "■経費", span=last - 1, font=BOLD, fill=HEADER_FILL)
    sheet.next()
    for column, heading in enumerate(("区分", "計画書の記載", "金額（千円）", "年度・予定"), 2):
        sheet.put(column, heading, font=BOLD, fill=LABEL_FILL, align=CENTER)
    sheet.put(6, "", fill=LABEL_FILL)
    sheet.next()
    for label, cost in cost_rows:
        text, amount, note = _money(cost)
        sheet.put(2, label, font=BOLD)
        sheet.put(3, text)
        sheet.put(4, amount if amount is not None else "－", align=_right(amount))
        sheet.put(5, note or None)
        sheet.put(6, None)
        sheet.next()
    for column, heading in enumerate(("年度別の経費実績", "年度", "金額（千円）", "種類"), 2):
        sheet.put(column, heading, font=BOLD, fill=LABEL_FILL, align=CENTER)
    sheet.put(6, "備考", font=BOLD, fill=LABEL_FILL, align=CENTER)
    sheet.next()
    if not costs:
        sheet.put(2, None)
        sheet.put(3, "記録なし", span=last - 2)
        sheet.next()
    for cost in costs:
        sheet.put(2, None)
        sheet.put(3, format_fiscal_year(cost["fiscal_year"]))
        sheet.put(4, cost["thousand_yen"], align=_right(cost["thousand_yen"]))
        kind = "導入経費" if cost["kind"] == "initial" else "運用経費"
        sheet.put(5, f"{kind}（{'予算' if cost.get('basis') == 'budget' else '決算'}）")
        sheet.put(6, "デモ用の架空の値" if cost["demo"] else None)
        sheet.next()

    block(
        "CHECK",
        "■効果・課題等",
        [("効果", system["effects"] or "－"), ("課題", system["issues"] or "－")],
    )
    block("ACT", "■利益最大化のために何をすべきか", [(None, system["actions"] or "－")])
    years = [y for y in system.get("years", []) if y["fiscal_year"] <= fiscal_year]
    if years:
        sheet.put(1, "年度別", rows=len(years) + 1, font=BOLD, fill=PDCA_FILL, align=CENTER)
        for column, heading in enumerate(
            ("年度・稼働状況", "予算", "決算（実績）", "効果", "課題・利益最大化"), 2
        ):
            sheet.put(column, heading, font=BOLD, fill=LABEL_FILL, align=CENTER)
        sheet.next()
        for year in years:
            demo = "（デモ）" if year["demo"] else ""
            sheet.put(
                2, f"{format_fiscal_year(year['fiscal_year'])}{demo}\n{year['status'] or '－'}"
            )
            sheet.put(3, "\n".join(year["budget"]) or "－")
            sheet.put(4, "\n".join(year["actual"]) or "－")
            sheet.put(5, year["effects"] or "－")
            sheet.put(6, "\n".join(t for t in (year["issues"], year["actions"]) if t) or "－")
            sheet.next()
    sheet.next()

    # 費用対効果: the document's figures, each with the formula that produced it.
    effectiveness = system["cost_effectiveness"]
    unit = unit_of.get(system["unit_kpi"] or "", "")
    sheet.put(
        1,
        "■費用対効果（記録された経費とKPIの実績から）",
        span=last,
        font=SECTION_FONT,
        border=False,
    )
    sheet.next()
    for column, heading in enumerate(("区分", "年度", "金額", "計算式"), 2):
        span = last - column + 1 if heading == "計算式" else 1
        sheet.put(column, heading, span=span, font=BOLD, fill=HEADER_FILL, align=CENTER)
    sheet.put(1, "", fill=HEADER_FILL)
    sheet.next()
    total = effectiveness["total_thousand_yen"]
    sheet.put(1, None)
    sheet.put(2, "総費用（千円）\n決算のみ", font=BOLD)
    sheet.put(3, "記録のある全年度")
    sheet.put(
        4, total["value"] if total["value"] is not None else "－", align=_right(total["value"])
    )
    sheet.put(5, total["formula"], span=last - 4)
    sheet.next()
    per_unit = [f for f in effectiveness["yen_per_unit"] if f["fiscal_year"] <= fiscal_year]
    label = f"1{unit}あたりの運用経費（円）" if unit else "1単位あたりの運用経費（円）"
    if system["unit_kpi"]:
        label += f"\nKPI {system['unit_kpi']}"
    for figure in per_unit:
        sheet.put(1, None)
        sheet.put(2, label, font=BOLD)
        sheet.put(3, format_fiscal_year(figure["fiscal_year"]))
        value = figure["value"]
        sheet.put(4, value if value is not None else "－", align=_right(value))
        sheet.put(5, figure["formula"], span=last - 4)
        sheet.next()
    if effectiveness.get("budgets"):
        sheet.put(1, None)
        sheet.put(2, "予算・予定額（千円）\n総費用に含めません", font=BOLD)
        sheet.put(3, "\n".join(effectiveness["budgets"]), span=last - 2)
        sheet.next()
    if not per_unit:
        sheet.put(1, None)
        sheet.put(2, "1単位あたりの運用経費", font=BOLD)
        sheet.put(
            3,
            "比べるKPIが決まっていないか、計算に使える年度の記録がありません。",
            span=last - 2,
        )
        sheet.next()
    sheet.finish(title_rows=title_rows)


# ---- the workbook ----------------------------------------------------------------------


def scope_codes(items, scope: str) -> set[str]:
    """The item codes a workbook covers: every item of ``items`` (those a person may see), a
    pillar's (「pillar-2」) or one item's (「item-1-3」), never one outside ``items``."""
    codes = {item.code for item in items}
    if scope.startswith("pillar-"):
        return {item.code for item in items if f"pillar-{item.pillar.number}" == scope}
    if scope.startswith("item-"):
        return {scope.removeprefix("item-")} & codes
    return codes


def scope_label(scope: str) -> str:
    """The scope in a file name: 「柱2」, 「1-3」 or 「全項目」."""
    return scope.replace("pillar-", "柱").replace("item-", "") or "全項目"


def forms_workbook(
    document: dict,
    *,
    fiscal_year: int,
    item_codes: Collection[str] | None = None,
    progress=None,
) -> Workbook:
    """The cover sheet, then 様式① of each item (in plan order) followed by its 様式② records,
    as a write-only workbook: save it (it cannot be read back before).

    ``item_codes`` limits the workbook to those items and the Form ② records placed on them;
    ``progress(done, total)`` is called after each item.
    """
    scope = choose_scope(document, item_codes)
    # Write-only: each sheet is streamed to a temporary file as soon as it is finished, so a
    # workbook of thousands of sheets never sits in memory whole (SheetWriter, xlsx_layout).
    book = Workbook(write_only=True)
    cover = add_sheet(book, COVER_TITLE)
    names = SheetNames([COVER_TITLE])
    item_names = {item["code"]: names.add(f"様式①_{item['code']}") for item in scope.items}
    for form in scope.form2:
        code = f"{form.item['code']}_" if form.item else ""
        form.name = names.add(f"様式②_{code}{form.label}{form.system['name']}")

    unit_of = {
        kpi["code"]: kpi["unit"] or ""
        for item in document["items"]
        for initiative in item["initiatives"]
        for kpi in initiative["kpis"]
    }
    columns = year_columns(document, fiscal_year)
    forms_of: dict[str, list[Form2Sheet]] = {}
    for form in scope.form2:
        if form.item:
            forms_of.setdefault(form.item["code"], []).append(form)
    contents = []
    placed = set()
    for done, item in enumerate(scope.items, start=1):
        ws = add_sheet(book, item_names[item["code"]])
        ws.sheet_view.tabSelected = False
        forms = forms_of.get(item["code"], [])
        write_item(ws, document, item, fiscal_year=fiscal_year, form2=forms, columns=columns)
        contents.append(
            (ws.title, f"様式①　{item['code']} {item['title']}", "、".join(item["departments"]))
        )
        for form in forms:
            _add_form2(book, document, form, fiscal_year, unit_of, contents)
            placed.add(form.name)
        if progress:
            progress(done, len(scope.items))
    for form in scope.form2:
        if form.name not in placed:
            _add_form2(book, document, form, fiscal_year, unit_of, contents)
    cover.sheet_view.tabSelected = True
    write_cover(cover, document, fiscal_year=fiscal_year, contents=contents)
    book.active = 0
    return book


def _add_form2(book, document, form, fiscal_year, unit_of, contents) -> None:
    ws = add_sheet(book, form.name)
    ws.sheet_view.tabSelected = False
    write_form2(ws, document, form, fiscal_year=fiscal_year, unit_of=unit_of)
    where = f"{form.item['code']} " if form.item else ""
    contents.append(
        (
            ws.title,
            f"様式②　{where}{form.label}{form.system['name']}",
            form.system["department"] or "",
        )
    )
