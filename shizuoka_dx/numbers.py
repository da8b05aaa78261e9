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
