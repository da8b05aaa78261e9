"""Our commands answer a mistyped command line in Japanese, and explain themselves in Japanese."""

import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command, get_commands, load_command_class

from shizuoka_dx.commands import Command as OurCommand
from shizuoka_dx.commands import in_japanese

OURS = sorted(
    name
    for name, app in get_commands().items()
    if Path(settings.BASE_DIR, app.replace(".", "/")).is_dir()
    and app.split(".")[0] in {"priorities", "kpis", "systems", "pdca", "shizuoka_dx"}
)


def test_every_command_of_ours_shares_the_japanese_base():
    assert "import_actuals" in OURS and "cleanup_uploads" in OURS
    for name in OURS:
        command = load_command_class(get_commands()[name], name)
        assert isinstance(command, OurCommand), name


@pytest.mark.parametrize("name", OURS)
def test_help_is_japanese(name):
    command = load_command_class(get_commands()[name], name)
    text = command.create_parser("manage.py", name).format_help()
    for english in ("usage:", "options:", "positional arguments:", "show this help", "Verbosity"):
        assert english not in text, (name, english)
    assert text.startswith("使い方: manage.py " + name)


def run(*args):
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_missing_argument_on_the_command_line_is_said_in_japanese():
    done = run("import_actuals")
    assert done.returncode == 2
    assert done.stderr.splitlines()[-1] == "manage.py import_actuals: 次の指定が足りません: path。"
    assert "error" not in done.stderr and "usage" not in done.stderr


def test_a_wrong_choice_names_the_option_and_the_choices():
    done = run("load_plan", "--verbosity", "9")
    assert done.returncode == 2
    assert (
        "-v/--verbosity に 9 は指定できません。次のどれかにしてください: 0, 1, 2, 3。"
        in done.stderr
    )


def test_called_from_code_the_refusal_is_a_japanese_command_error():
    with pytest.raises(CommandError, match=r"^この命令にない指定です: --bogus。$"):
        call_command("publish_fiscal_year", "R7", "--bogus")


@pytest.mark.parametrize(
    ("english", "japanese"),
    [
        ("unrecognized arguments: a b", "この命令にない指定です: a b。"),
        ("argument --user: expected one argument", "--user の後に値を一つ書いてください。"),
        ("argument --factor: invalid int value: 'x'", "--factor の値 'x' を読み取れません。"),
        ("one of the arguments --a --b is required", "--a --b のどれかを指定してください。"),
        (
            "something new",
            "コマンドの指定を読み取れません（something new）。--help で使い方を確かめてください。",
        ),
    ],
)
def test_argparse_messages_in_japanese(english, japanese):
    assert in_japanese(english) == japanese
