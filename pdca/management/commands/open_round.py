from datetime import date

from django.core.management.base import CommandError

from pdca.models import Round
from pdca.services import round as services
from priorities.models import Department
from priorities.roles import command_user
from shizuoka_dx.commands import Command as BaseCommand
from shizuoka_dx.deadlines import format_date, parse_date
from shizuoka_dx.fiscal import FiscalYearError, format_fiscal_year, parse_fiscal_year


def _date(text: str, option: str) -> date:
    try:
        return parse_date(text)
    except ValueError:
        raise CommandError(
            f"{option} の「{text}」は日付として読めません。2026-05-31 の形で指定してください。"
        ) from None


class Command(BaseCommand):
    help = (
        "年度の更新ラウンド（実績と評価の照会）を期限を決めて開始します。すでに開始している年度は、"
        "--reason を付けると期限を変更（延長）します。--department で課ごとの期限も設定できます。"
    )

    def add_arguments(self, parser):
        parser.add_argument("fiscal_year", help="照会する年度（例: R7、令和7年度、2025）")
        parser.add_argument(
            "--actuals-due", required=True, metavar="YYYY-MM-DD", help="実績の入力期限"
        )
        parser.add_argument(
            "--evaluations-due", required=True, metavar="YYYY-MM-DD", help="評価の期限（承認まで）"
        )
        parser.add_argument(
            "--department",
            metavar="課名",
            help="この課だけの期限を設定します（--reason が必要）。",
        )
        parser.add_argument(
            "--reason", default="", metavar="理由", help="期限を変える理由（履歴に残ります）"
        )
        parser.add_argument(
            "--user",
            metavar="ユーザー名",
            help="履歴に記録する実行者（DX推進課の職員）。省略時はシステム（コマンド）。",
        )

    def handle(
        self, *args, fiscal_year, actuals_due, evaluations_due, department, reason, user, **options
    ):
        try:
            year = parse_fiscal_year(fiscal_year)
            actor = command_user(user)
        except (FiscalYearError, LookupError) as exc:
            raise CommandError(str(exc)) from None
        actuals = _date(actuals_due, "--actuals-due")
        evaluations = _date(evaluations_due, "--evaluations-due")
        existing = Round.objects.filter(fiscal_year=year).first()
        label = format_fiscal_year(year)
        try:
            if department:
                found = Department.objects.filter(name=department).first()
                if found is None:
                    raise CommandError(f"所管課「{department}」は登録されていません。")
                if existing is None:
                    raise CommandError(
                        f"{label}の更新ラウンドはまだ開始していません。先に開始してください。"
                    )
                services.round_set_department_dates(
                    round=existing,
                    department=found,
                    actuals_due=actuals,
                    evaluations_due=evaluations,
                    reason=reason,
                    user=actor,
                )
                message = f"{label}の更新ラウンドで、{department}の期限を設定しました"
            elif existing is not None:
                if not reason:
                    raise CommandError(
                        f"{label}の更新ラウンドはすでに開始しています。期限を変えるときは "
                        '--reason "理由" を付けてください。'
                    )
                services.round_extend(
                    round=existing,
                    actuals_due=actuals,
                    evaluations_due=evaluations,
                    reason=reason,
                    user=actor,
                )
                message = f"{label}の更新ラウンドの期限を変更しました"
            else:
                services.round_open(
                    fiscal_year=year, actuals_due=actuals, evaluations_due=evaluations, user=actor
                )
                message = f"{label}の更新ラウンドを開始しました"
        except services.RoundRefused as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(
            self.style.SUCCESS(
                f"{message}（実績 {format_date(actuals)}、評価 {format_date(evaluations)}）。"
            )
        )
