"""Template filters for grades, available in every template (TEMPLATES builtins).

They live beside the engine that decides grades, since the kernel's ``display`` filters may not
import from the layers above it.
"""

from django import template

from kpis.calculations import GRADES, grade_title

register = template.Library()

register.filter("grade_title", grade_title)  # {{ "A"|grade_title }} → A 順調; "-" → 未測定


@register.filter
def grade_counts(grades) -> list[tuple[str, int]]:
    """{{ summary.grades|grade_counts }} → [("A", 3), …, ("-", 1)]: every grade, in order."""
    return [(grade, grades.get(grade, 0)) for grade in GRADES]
