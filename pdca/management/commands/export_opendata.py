import json
from pathlib import Path

from django.core.management.base import CommandError

from pdca.opendata import build_document
from pdca.services.publication import latest_snapshot
from shizuoka_dx.commands import Command as BaseCommand


class Command(BaseCommand):
    help = (
        "オープンデータ（plan.json）を書き出します。既定は入力済みのすべての実績と評価を含む最新の内容、"
        "--published では公開ページ /opendata/plan.json と同じ（最新の公表）内容です。"
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--output", type=Path, help="書き出し先のファイル（省略すると標準出力）"
        )
        parser.add_argument(
            "--published",
            action="store_true",
            help="公開ページ /opendata/plan.json と同じ内容を書き出します。",
        )

    def handle(self, *args, output, published, **options):
        if published:
            snapshot = latest_snapshot()
            if snapshot is None:
                raise CommandError(
                    "まだ公表した年度がありません。publish_fiscal_year で公表してください。"
                )
            document = snapshot.document
        else:
            document = build_document()
        text = json.dumps(document, ensure_ascii=False, indent=1) + "\n"
        if output:
            output.write_text(text, encoding="utf-8")
            self.stderr.write(f"{output} に書き出しました。")
        else:
            self.stdout.write(text, ending="")
