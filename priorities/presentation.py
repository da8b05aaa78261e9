"""Shaping plan data for pages: plain functions over the open-data dicts."""

PLAN_COLUMNS = (2024, 2025, 2026)  # the roadmap's printed R6 / R7 / R8 columns


def roadmap_years(items: list[dict]) -> list[int]:
    """The FY columns of the roadmap table: every FY any roadmap entry names, or R6–R8."""
    years = {
        year
        for item in items
        for initiative in item["initiatives"]
        for entry in initiative["roadmap"]
        for year in (entry["fiscal_year"], entry["until_fiscal_year"])
        if year is not None
    }
    if not years:
        return list(PLAN_COLUMNS)
    low, high = min(years | set(PLAN_COLUMNS)), max(years | set(PLAN_COLUMNS))
    return list(range(low, high + 1))


def roadmap_rows(initiative: dict, years: list[int]) -> list[list[dict]]:
    """One table row per roadmap entry: cells with a colspan, the entry's text in its FY columns.

    An entry whose FY is not known fills the whole row and says so.
    """
    rows = []
    for entry in initiative["roadmap"]:
        start, end = entry["fiscal_year"], entry["until_fiscal_year"] or entry["fiscal_year"]
        if start is None or start not in years:
            rows.append([{"text": entry["text"], "span": len(years), "unknown": True}])
            continue
        end = min(end, years[-1])
        before = years.index(start)
        after = len(years) - years.index(end) - 1
        row = []
        if before:
            row.append({"text": "", "span": before})
        row.append({"text": entry["text"], "span": years.index(end) - before + 1})
        if after:
            row.append({"text": "", "span": after})
        rows.append(row)
    return rows or [[{"text": "", "span": len(years)}]]


def roadmap_table(items: list[dict], item: dict) -> tuple[list[int], list[dict]]:
    years = roadmap_years(items)
    return years, [
        {**initiative, "rows": roadmap_rows(initiative, years)}
        for initiative in item["initiatives"]
    ]
