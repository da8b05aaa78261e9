from django.core.management.base import BaseCommand, CommandError

from pdca.services.evaluations import PublishBlocked, publish_fiscal_year
from shizuoka_dx.fiscal import FiscalYearError, format_fiscal_year, parse_fiscal_year


class Command(BaseCommand):
    help = (
        "年度の進捗を公表します（承認済みの実績と評価を固定し、公開ページとオープンデータに出します）。"
        "職員用の「公表」ボタンと同じ処理です。"
    )

    def add_arguments(self, parser):
        parser.add_argument("fiscal_year", help="公表する年度（例: 2025、R7、令和7年度）")
        parser.add_argument(
            "--force",
            metavar="理由",
            default="",
            help="未承認の項目があっても公表します。理由は公開ページに表示されます。",
        )

    def handle(self, *args, fiscal_year, force, **options):
        try:
            year = parse_fiscal_year(fiscal_year)
        except FiscalYearError as exc:
            raise CommandError(str(exc)) from None
        try:
            snapshot = publish_fiscal_year(fiscal_year=year, user=None, force_reason=force)
        except PublishBlocked as exc:
            lines = "\n".join(f"  - {item.code} {item.title}" for item in exc.unapproved)
            raise CommandError(
                f"{format_fiscal_year(year)}は公表しませんでした。承認されていない重点項目があります:\n"
                f'{lines}\n承認を待つか、--force "理由" を付けて実行してください。'
            ) from None
        self.stdout.write(
            self.style.SUCCESS(
                f"{format_fiscal_year(year)}の進捗を公表しました（{snapshot.published_at:%Y-%m-%d %H:%M}）。"
            )
        )
