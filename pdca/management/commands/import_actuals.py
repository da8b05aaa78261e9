from pathlib import Path

from django.core.management.base import CommandError

from kpis.importing import ImportRefused
from pdca.services.imports import import_actuals
from priorities.roles import command_user
from shizuoka_dx.commands import Command as BaseCommand


class Command(BaseCommand):
    help = (
        "KPIの実績を CSV または Excel（.xlsx）から取り込みます。"
        "列は kpi_code, fiscal_year, value, note（KPIコード, 年度, 実績値, 備考）。"
        "1行でも誤りがあれば何も保存しません。"
    )

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path, help="取り込むファイル（.csv / .xlsx）")
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="保存せずに、追加・更新・変更なしになる行を表示します。",
        )
        parser.add_argument(
            "--user",
            metavar="ユーザー名",
            help="履歴に記録する入力者。その人が入力できるKPIだけを取り込めます。省略時はシステム（コマンド）。",
        )

    def handle(self, *args, path, dry_run, user, **options):
        try:
            actor = command_user(user)
        except LookupError as exc:
            raise CommandError(str(exc)) from None
        try:
            result = import_actuals(
                path=path,
                user=actor,
                dry_run=dry_run,
                progress=lambda line: self.stderr.write(line),
            )
        except ImportRefused as exc:
            lines = "\n".join(f"  - {error}" for error in exc.errors)
            raise CommandError(
                f"{path.name} を取り込めませんでした。何も保存していません。\n{lines}"
            ) from None
        for line in result.lines():
            self.stdout.write(line)
        self.stdout.write(self.style.SUCCESS(result.summary()))
