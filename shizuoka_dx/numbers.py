"""The one way a number is shown to people: thousands separators, no trailing zeros."""

from decimal import Decimal


def format_number(value) -> str:
    """298621 → 「298,621」; Decimal("98.2000") → 「98.2」; None → 「－」."""
    if value is None:
        return "－"
    value = value if isinstance(value, Decimal) else Decimal(str(value))
    normalized = value.normalize()
    if normalized == normalized.to_integral_value():
        return f"{int(normalized):,}"
    return f"{normalized:,f}"


def plain_number(value: Decimal | None) -> int | float | None:
    """Decimal → int when whole, else float: for JSON, Excel cells and charts; None stays None."""
    if value is None:
        return None
    if value == value.to_integral_value():
        return int(value)
    return float(value)


# The one percent style of every page: the half-width 「%」 (達成率 40.0%, 実績 64%).
PERCENT = "%"


def display_unit(unit: str | None) -> str:
    """A KPI's unit as pages show it: 「％」 (the plan prints full-width) becomes 「%」."""
    return (unit or "").replace("％", PERCENT)


def format_value(value, unit: str | None = "") -> str:
    """A figure with its unit: 「60人」「64%」「135,300千円」; text (a milestone stage) as it is;
    None → 「－」."""
    if value is None or value == "":
        return "－"
    if isinstance(value, str):
        return value
    return format_number(value) + display_unit(unit)


def format_percent(value) -> str:
    """A rate to one decimal: 40.0%; None → 「－」."""
    if value is None:
        return "－"
    return f"{Decimal(str(value)):.1f}{PERCENT}"


def printed(text: str | None) -> str:
    """Text as the plan prints it, with its percent signs in the pages' one style."""
    return (text or "").replace("％", PERCENT)


# The largest id or year a query string may name: the databases' integer (2^31 − 1 on
# PostgreSQL). A larger one would be an error of the database, not "nothing found".
LARGEST_QUERY_NUMBER = 2_147_483_647


def query_number(text) -> int | None:
    """A whole number typed in a URL or a hidden field (「2025」「12」), else None: ASCII digits
    only (「²」 and 「٣」 pass str.isdigit() but not int()), never larger than the database holds."""
    text = str(text or "").strip()
    if not (text.isascii() and text.isdigit()):
        return None
    number = int(text)
    return number if number <= LARGEST_QUERY_NUMBER else None
