"""What every command of ours shares: a refusal is printed as its Japanese message only, and
a mistyped command line is answered in Japanese too.

Django prints a refused command as 「CommandError: …」, an exception name nobody running the
yearly cycle should have to read. Run from the command line, our commands print the message
alone (still on stderr, still exit status 1); ``call_command`` (and ``--traceback``) still raise
CommandError, so tests and scripts see the exception.

argparse answers a missing or unknown argument in English (「error: the following arguments are
required: file」) and heads its help with 「usage:」/「options:」; ``JapaneseParser`` says the same
in Japanese. A message it does not know is kept as argparse wrote it, behind a Japanese sentence.
"""

import re
import sys

from django.core.management.base import BaseCommand, CommandError, CommandParser

# argparse's messages (Python 3.11), as regular expressions, and what we say instead.
MESSAGES = [
    (r"the following arguments are required: (.+)", r"次の指定が足りません: \1。"),
    (r"unrecognized arguments: (.+)", r"この命令にない指定です: \1。"),
    (
        r"argument (\S+): invalid choice: (.+) \(choose from (.+)\)",
        r"\1 に \2 は指定できません。次のどれかにしてください: \3。",
    ),
    (r"argument (\S+): invalid (\w+) value: (.+)", r"\1 の値 \3 を読み取れません。"),
    (r"argument (\S+): expected one argument", r"\1 の後に値を一つ書いてください。"),
    (r"argument (\S+): expected at least one argument", r"\1 の後に値を書いてください。"),
    (r"argument (\S+): expected at most one argument", r"\1 の後の値は一つまでです。"),
    (r"argument (\S+): expected (\d+) arguments?", r"\1 の後に値を \2 個書いてください。"),
    (r"argument (\S+): not allowed with argument (\S+)", r"\1 と \2 は同時に指定できません。"),
    (r"one of the arguments (.+) is required", r"\1 のどれかを指定してください。"),
    (r"ambiguous option: (\S+) could match (.+)", r"\1 が \2 のどれを指すか決められません。"),
]
# Django's own options of every command, explained in Japanese in --help.
BASE_OPTIONS = {
    "help": "この説明を表示して終わります。",
    "version": "Django の版を表示して終わります。",
    "verbosity": "表示の詳しさ（0=最小、1=通常、2=詳しく、3=とても詳しく）。",
    "settings": "設定モジュール（省略時は環境変数 DJANGO_SETTINGS_MODULE）。",
    "pythonpath": "Python の読み込み先に加えるフォルダ。",
    "traceback": "エラーのときに開発者向けの詳細（トレースバック）を表示します。",
    "no_color": "色を付けずに表示します。",
    "force_color": "端末でなくても色を付けて表示します。",
    "skip_checks": "実行前のシステムチェックを省きます。",
}
HEADINGS = [
    ("usage: ", "使い方: "),
    ("\npositional arguments:\n", "\n指定する値:\n"),
    ("\noptions:\n", "\nオプション:\n"),
    ("show this help message and exit", "この説明を表示して終わります"),
]


def in_japanese(message: str) -> str:
    for pattern, japanese in MESSAGES:
        if re.fullmatch(pattern, message):
            return re.sub(pattern, japanese, message)
    return f"コマンドの指定を読み取れません（{message}）。--help で使い方を確かめてください。"


class JapaneseParser(CommandParser):
    def format_usage(self):
        return _headings(super().format_usage())

    def format_help(self):
        return _headings(super().format_help())

    def error(self, message):
        message = in_japanese(message)
        if self.called_from_command_line:
            self.print_usage(sys.stderr)
            self.exit(2, f"{self.prog}: {message}\n")
        raise CommandError(message)


def _headings(text: str) -> str:
    for english, japanese in HEADINGS:
        text = text.replace(english, japanese)
    return text


class Command(BaseCommand):
    def create_parser(self, prog_name, subcommand, **kwargs):
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        # Django builds a CommandParser whatever it is told; ours only adds methods.
        parser.__class__ = JapaneseParser
        for action in parser._actions:
            if action.dest in BASE_OPTIONS:
                action.help = BASE_OPTIONS[action.dest]
        return parser

    def execute(self, *args, **options):
        if not getattr(self, "_called_from_command_line", False) or options.get("traceback"):
            return super().execute(*args, **options)
        try:
            return super().execute(*args, **options)
        except CommandError as exc:
            self.stderr.write(str(exc), self.style.ERROR)
            sys.exit(exc.returncode)
