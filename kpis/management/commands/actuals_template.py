from pathlib import Path

from django.core.management.base import CommandError

from kpis.template_workbook import UnknownDepartment, render_template, template_rows
from shizuoka_dx.commands import Command as BaseCommand
from shizuoka_dx.fiscal import FiscalYearError, format_fiscal_year, parse_fiscal_year
from shizuoka_dx.spreadsheets import check_xlsx_path, save_xlsx


class Command(BaseCommand):
    help = (
        "その年度のKPI実績を集めるための Excel ファイル（.xlsx）を作ります。"
        "所管課が実績値を入力して送り返したファイルは、そのまま import_actuals で取り込めます。"
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--fy", required=True, help="実績を集める年度（例: 2025、R7、令和7年度）"
        )
        parser.add_argument(
            "--department", help="この所管課の重点項目のKPIだけにします（例: DX推進課）。"
        )
        parser.add_argument(
            "--output", type=Path, required=True, help="書き出し先のファイル（.xlsx）"
        )

    def handle(self, *args, fy, department, output, **options):
        check_xlsx_path(output, example="実績_R7.xlsx")
        try:
            fiscal_year = parse_fiscal_year(fy)
        except FiscalYearError as exc:
            raise CommandError(f"--fy: {exc}") from None
        name = department.strip() if department else None
        try:
            rows = template_rows(fiscal_year=fiscal_year, department=name)
        except UnknownDepartment as exc:
            raise CommandError(str(exc)) from None
        if not rows:
            raise CommandError(
                f"{format_fiscal_year(fiscal_year)}に実績を入力できるKPIがありません"
                f"{f'（所管課: {name}）' if name else ''}。年度を確かめてください。"
            )
        book = render_template(rows, fiscal_year=fiscal_year, department=name)
        save_xlsx(book, output)
        self.stdout.write(
            self.style.SUCCESS(
                f"{output} に書き出しました（{format_fiscal_year(fiscal_year)}、KPI {len(rows)} 件）。"
            )
        )
