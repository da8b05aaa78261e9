from pathlib import Path

from django.conf import settings
from django.core.management.base import CommandError

from pdca import rounds
from pdca.demo import (
    OPEN_YEAR,
    PUBLISHED_YEAR,
    load_demo_cycle,
    load_demo_round,
    remove_demo_cycle,
    remove_demo_round,
)
from pdca.demo_actuals import load_demo_actuals, remove_demo_data
from pdca.loading import PlanChangedSinceLoading, PlanLoadError, load_plan
from priorities.roles import command_user
from shizuoka_dx.commands import Command as BaseCommand


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
        parser.add_argument(
            "--remove-demo",
            action="store_true",
            help="デモ実績（架空の値）をすべて削除します。入力された実際の値は残ります。",
        )
        parser.add_argument(
            "--keep-changed-plan",
            action="store_true",
            help="計画が読み込んだあとに変更（管理画面での修正・計画の改訂）されているときは、"
            "計画は読み込まずにそのまま残し、エラーにしません（make run が使います）。",
        )
        parser.add_argument(
            "--user",
            metavar="ユーザー名",
            help="履歴に記録する実行者。省略時はシステム（コマンド）。",
        )

    def handle(self, *args, fixtures, demo, remove_demo, user, keep_changed_plan, **options):
        if demo and remove_demo:
            raise CommandError("--demo と --remove-demo は同時に指定できません。")
        try:
            actor = command_user(user)
        except LookupError as exc:
            raise CommandError(str(exc)) from None
        try:
            report = load_plan(directory=fixtures, user=actor)
        except PlanChangedSinceLoading as exc:
            if not keep_changed_plan:
                raise CommandError(
                    f"計画を読み込めませんでした。何も保存していません。\n{exc}"
                ) from None
            self.stderr.write(
                self.style.WARNING(f"計画は読み込まず、いまの計画を残しました。{exc}")
            )
            report = None
        except PlanLoadError as exc:
            raise CommandError(
                f"計画を読み込めませんでした。何も保存していません。\n{exc}"
            ) from None
        if report is not None:
            for warning in report.warnings:
                self.stderr.write(self.style.WARNING(warning))
            self.stdout.write(self.style.SUCCESS(f"計画を読み込みました: {report.summary()}"))
        if demo:
            result = load_demo_actuals(user=actor)
            self.stdout.write(
                self.style.WARNING(
                    f"デモ用の架空の実績値を読み込みました: 追加 {result.created} 件、"
                    f"更新 {result.updated} 件、変更なし {result.unchanged} 件、"
                    f"入力済みの実際の値を残した {result.kept_real} 件、経費 {result.costs} 件"
                )
            )
            cycle = load_demo_cycle(user=actor)
            message = f"デモ用の架空の評価を {cycle['evaluations']} 件作成しました"
            if cycle["published"]:
                message += f"。{PUBLISHED_YEAR}年度（令和6年度）をデモとして公表しました"
            self.stdout.write(self.style.WARNING(message))
            if load_demo_round(user=actor, today=rounds.today()):
                self.stdout.write(
                    self.style.WARNING(
                        f"{OPEN_YEAR}年度（令和7年度）の更新ラウンドをデモとして開始しました"
                        "（実績の期限は昨日、評価の期限は7日後）"
                    )
                )
        if remove_demo:
            rounds_removed = remove_demo_round(user=actor)
            if rounds_removed:
                self.stdout.write(self.style.SUCCESS("デモ用の更新ラウンドを削除しました"))
            evaluations, snapshots = remove_demo_cycle(user=actor)
            actuals, costs, kept = remove_demo_data(user=actor)
            self.stdout.write(
                self.style.SUCCESS(
                    f"デモ用の架空の値を削除しました: 実績 {actuals} 件、経費 {costs} 件、"
                    f"評価 {evaluations} 件、デモを含む公表 {snapshots} 件"
                )
            )
            if kept:
                self.stdout.write(
                    self.style.WARNING(
                        f"承認済みの評価が使っているため残したデモ実績・経費が {kept} 件あります。"
                        "DX推進課で評価を再開してから、もう一度 --remove-demo を実行してください。"
                    )
                )
