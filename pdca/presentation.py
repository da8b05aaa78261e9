"""Reading the open-data document (a published snapshot, or the plan before the first
publication): plain functions over its dicts, for the public pages and the Form ①/② workbook.

Their twins over models are ``kpis.selectors.item_kpis`` and ``kpis.progress`` (latest year).
"""


def find_item(document: dict, code: str) -> dict | None:
    return next((item for item in document["items"] if item["code"] == code), None)


def find_kpi(item: dict, kpi_code: str) -> dict | None:
    """A KPI as printed on ``item`` (with its printed note), or None."""
    for initiative in item["initiatives"]:
        for kpi in initiative["kpis"]:
            if kpi["code"] == kpi_code:
                return kpi
    return None


def item_kpis(item: dict) -> list[dict]:
    """The KPIs printed on an item, once each in printed order (a repeated one keeps its note)."""
    seen: dict[str, dict] = {}
    for initiative in item["initiatives"]:
        for kpi in initiative["kpis"]:
            seen.setdefault(kpi["code"], kpi)
    return list(seen.values())


def roadmap_entry_years(items: list[dict]) -> set[int]:
    """Every FY a roadmap entry of ``items`` starts or ends in."""
    return {
        year
        for item in items
        for initiative in item["initiatives"]
        for entry in initiative["roadmap"]
        for year in (entry["fiscal_year"], entry["until_fiscal_year"])
        if year is not None
    }


def years_with_actuals(items: list[dict]) -> list[int]:
    """The FYs any KPI of ``items`` has an actual for, oldest first."""
    return sorted(
        {
            actual["fiscal_year"]
            for item in items
            for initiative in item["initiatives"]
            for kpi in initiative["kpis"]
            for actual in kpi["actuals"]
        }
    )


def latest_year(document: dict) -> int | None:
    """The latest FY the document has any actual for (None: it has none)."""
    years = years_with_actuals(document["items"])
    return years[-1] if years else None
