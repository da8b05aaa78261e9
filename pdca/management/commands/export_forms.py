from pathlib import Path

from django.core.management.base import CommandError

from pdca.opendata import build_document
from pdca.workbooks import forms_workbook, workbook_year
from shizuoka_dx.commands import Command as BaseCommand
from shizuoka_dx.fiscal import (
    FiscalYearError,
    format_fiscal_year,
    parse_fiscal_year,
)
from shizuoka_dx.spreadsheets import check_xlsx_path, save_xlsx


class Command(BaseCommand):
    help = (
        "様式①（重点項目）と様式②（業務システム）を、計画書と同じ並びの Excel ファイル（.xlsx）に"
        "書き出します。先頭は表紙シートです。"
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--fy",
            help="実績を載せる年度（例: 2025、R7、令和7年度）。省略すると実績のある最新の年度です。",
        )
        scope = parser.add_mutually_exclusive_group()
        scope.add_argument("--item", help="この重点項目だけを書き出します（例: 1-1）。")
        scope.add_argument(
            "--pillar", type=int, help="この基本方針の柱の重点項目だけを書き出します（例: 1）。"
        )
        parser.add_argument(
            "--output", type=Path, required=True, help="書き出し先のファイル（.xlsx）"
        )

    def handle(self, *args, fy, item, pillar, output, **options):
        check_xlsx_path(output, example="様式.xlsx")
        document = build_document()
        if fy:
            try:
                fiscal_year = parse_fiscal_year(fy)
            except FiscalYearError as exc:
                raise CommandError(f"--fy: {exc}") from None
        else:
            fiscal_year = workbook_year(document)
        item_codes = None
        if item:
            code = item.strip()
            known = [entry["code"] for entry in document["items"]]
            if code not in known:
                raise CommandError(
                    f"重点項目「{code}」は計画にありません。指定できる項目: {'、'.join(known)}"
                )
            item_codes = {code}
        elif pillar is not None:
            numbers = [entry["number"] for entry in document["pillars"]]
            if pillar not in numbers:
                listed = "、".join(str(number) for number in numbers)
                raise CommandError(
                    f"基本方針の柱「{pillar}」は計画にありません。指定できる柱: {listed}"
                )
            item_codes = {entry["code"] for entry in document["items"] if entry["pillar"] == pillar}
        book = forms_workbook(document, fiscal_year=fiscal_year, item_codes=item_codes)
        save_xlsx(book, output)
        self.stdout.write(
            self.style.SUCCESS(
                f"{output} に書き出しました（{format_fiscal_year(fiscal_year)}、"
                f"シート {len(book.sheetnames)} 枚）。"
            )
        )
