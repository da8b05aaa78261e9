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


def kpi_years(items: list[dict]) -> list[int]:
    """FY columns for KPI tables: the roadmap's years plus any year with an actual."""
    years = set(roadmap_years(items))
    for item in items:
        for initiative in item["initiatives"]:
            for kpi in initiative["kpis"]:
                years.update(actual["fiscal_year"] for actual in kpi["actuals"])
    return sorted(years)


def kpi_rows(item: dict, years: list[int]) -> list[dict]:
    """One row per KPI placement of an item, with its actual (or None) in each FY column."""
    rows = []
    for initiative in item["initiatives"]:
        if not initiative["kpis"]:
            rows.append({"initiative": initiative, "kpi": None, "cells": [], "latest": None})
        for kpi in initiative["kpis"]:
            by_year = {actual["fiscal_year"]: actual for actual in kpi["actuals"]}
            rows.append(
                {
                    "initiative": initiative,
                    "kpi": kpi,
                    "cells": [by_year.get(year) for year in years],
                    "latest": kpi["actuals"][-1] if kpi["actuals"] else None,
                }
            )
    return rows


def find_item(document: dict, code: str) -> dict | None:
    return next((item for item in document["items"] if item["code"] == code), None)


def find_kpi(item: dict, kpi_code: str) -> dict | None:
    for initiative in item["initiatives"]:
        for kpi in initiative["kpis"]:
            if kpi["code"] == kpi_code:
                return {**kpi, "initiative": initiative}
    return None
