"""No English and no Python exception name reaches a person: every message of every refusal of the
bad-file corpus (tests/fixtures/bad_files/) is Japanese, but for a tiny list of words people see
in Excel itself.

What a message quotes in 「…」 is what the person typed or named (a value, a sheet name) and is
left out of the check; so are KPI codes (1-3-K02), cell references (A2:A3, C列), file extensions
(.xlsx, *.csv) and era years (R8, H31). The Latin words allowed besides, and why:
"""

import re
from pathlib import Path

import pytest

from kpis.importing import ImportRefused
from kpis.models import Kpi
from tests.helpers import import_actuals

pytestmark = pytest.mark.django_db

FOLDER = Path(__file__).resolve().parent.parent / "fixtures" / "bad_files"
BAD_FILES = sorted(path for path in FOLDER.iterdir() if path.is_file())

ALLOWED_WORDS = {
    "Excel": "the program people use; its menus say Excel",
    "CSV": "the file kind, as Excel's save dialog names it (「CSV UTF-8」)",
    "UTF": "the encoding to choose in that dialog (UTF-8)",
    "Shift_JIS": "the other encoding people's files come in",
    "XML": "what an .xlsx holds; named with the declaration refused for safety",
    "DOCTYPE": "the refused declaration, named so that whoever made the file can find it",
    "ENTITY": "the same",
    "TRUE": "what Excel shows in a true/false cell",
    "FALSE": "the same",
    "KPI": "the plan's own word (KPIコード)",
    "DX": "in the name of the department people are sent to (DX推進課)",
    "MB": "the unit of a file's size",
}
_QUOTED = re.compile(r"「[^「」]*」")
_NOT_WORDS = [
    re.compile(r"\b[1-9]-[1-9][0-9]?-K[0-9]{2}\b"),  # KPI codes
    # cell references (C2セル, A2:A3), R8, H31: Japanese follows without a word boundary
    re.compile(r"(?<![A-Za-z0-9])[A-Z]{1,3}[0-9]+(?::[A-Z]{1,3}[0-9]+)?(?![A-Za-z0-9])"),
    re.compile(r"(?<![A-Za-z])[A-Z]{1,3}(?=列)"),  # column letters
    re.compile(r"\*?\.[a-z]{3,4}\b"),  # file extensions
]
_LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z_]*")
_EXCEPTION_NAME = re.compile(
    r"[A-Z][A-Za-z]*(?:Error|Exception|Warning|Refused|Zip|File)\b|Traceback|errno"
)

IN_TABULAR: dict[str, str] = {}  # messages from shizuoka_dx/tabular.py still to fix


def latin_words(message: str, units: set[str]) -> list[str]:
    """The Latin-letter words of ``message`` that are not allowed."""
    text = message
    while _QUOTED.search(text):
        text = _QUOTED.sub(" ", text)
    for unit in units:
        text = text.replace(unit, " ")
    for pattern in _NOT_WORDS:
        text = pattern.sub(" ", text)
    return [word for word in _LATIN_WORD.findall(text) if word not in ALLOWED_WORDS]


def test_the_check_finds_english_and_exception_names():
    units = {"t-CO2"}
    assert latin_words("シート「実績」を読めません（ParseError）。", units) == ["ParseError"]
    assert latin_words("CSVとして読めません（field larger than field limit）。", units) == [
        "field",
        "larger",
        "than",
        "field",
        "limit",
    ]
    assert (
        latin_words(
            "2行目 実績値「１２ａｂ」: 1-1-K01 は C列（A2:A3）、R8、.xlsx の Excel で t-CO2", units
        )
        == []
    )
    assert _EXCEPTION_NAME.search("読めません（BadZipFile）")


def _cases():
    for path in BAD_FILES:
        if path.name in IN_TABULAR:
            yield pytest.param(
                path, marks=pytest.mark.xfail(strict=True, reason=IN_TABULAR[path.name])
            )
        else:
            yield path


@pytest.mark.parametrize("path", list(_cases()), ids=[path.name for path in BAD_FILES])
def test_every_message_of_a_refusal_is_japanese_without_english_or_exception_names(path):
    units = {unit for unit in Kpi.objects.values_list("unit", flat=True) if unit}
    with pytest.raises(ImportRefused) as caught:
        import_actuals(path=path)
    for message in caught.value.errors:
        assert not _EXCEPTION_NAME.search(message), message
        assert latin_words(message, units) == [], message
