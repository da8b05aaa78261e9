from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from priorities.loading import PlanLoadError, load_plan


class Command(BaseCommand):
    help = "計画（fixtures/ の内容）をデータベースに読み込みます。何度実行しても結果は同じです。"

    def add_arguments(self, parser):
        parser.add_argument(
            "--fixtures",
            type=Path,
            default=settings.PLAN_FIXTURES_DIR,
            help="計画データのフォルダ（既定: fixtures/）",
        )
        parser.add_argument(
            "--demo",
            action="store_true",
            help="画面確認用のデモ実績（架空の値、デモと明示）も読み込みます。",
        )

    def handle(self, *args, fixtures, demo, **options):
        try:
            report = load_plan(directory=fixtures)
        except PlanLoadError as exc:
            raise CommandError(
                f"計画を読み込めませんでした。何も保存していません。\n{exc}"
            ) from None
        for warning in report.warnings:
            self.stderr.write(self.style.WARNING(warning))
        self.stdout.write(self.style.SUCCESS(f"計画を読み込みました: {report.summary()}"))
