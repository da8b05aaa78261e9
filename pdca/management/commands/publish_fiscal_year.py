from django.core.exceptions import PermissionDenied
from django.core.management.base import CommandError
from django.utils import timezone

from pdca.services.publication import PublishBlocked, publish_fiscal_year
from priorities.roles import command_user
from shizuoka_dx.commands import Command as BaseCommand
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
        parser.add_argument(
            "--correction",
            metavar="理由",
            default="",
            help="公表済みの年度を訂正して公表し直すときの理由。訂正の一覧に載ります。",
        )
        parser.add_argument(
            "--user",
            metavar="ユーザー名",
            help="履歴に記録する実行者（DX推進課の職員）。省略時はシステム（コマンド）。",
        )

    def handle(self, *args, fiscal_year, force, user, correction, **options):
        try:
            year = parse_fiscal_year(fiscal_year)
            actor = command_user(user)
        except (FiscalYearError, LookupError) as exc:
            raise CommandError(str(exc)) from None
        try:
            snapshot = publish_fiscal_year(
                fiscal_year=year, user=actor, force_reason=force, correction_reason=correction
            )
        except FiscalYearError as exc:
            raise CommandError(str(exc)) from None
        except PermissionDenied:
            raise CommandError(
                f"ユーザー「{actor.username}」には公表する権限がありません（DX推進課の職員だけが公表できます）。"
            ) from None
        except PublishBlocked as exc:
            lines = "\n".join(f"  - {item.code} {item.title}" for item in exc.unapproved)
            raise CommandError(
                f"{format_fiscal_year(year)}は公表しませんでした。承認されていない重点項目があります:\n"
                f'{lines}\n承認を待つか、--force "理由" を付けて実行してください。'
            ) from None
        self.stdout.write(
            self.style.SUCCESS(
                f"{format_fiscal_year(year)}の進捗を公表しました（第{snapshot.version}版、{timezone.localtime(snapshot.published_at):%Y-%m-%d %H:%M}）。"
            )
        )
