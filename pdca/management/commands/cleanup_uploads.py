from datetime import timedelta

from django.core.management.base import CommandError
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from pdca.models import BackgroundJob
from pdca.uploads import PENDING_HOURS, remove_older_than
from shizuoka_dx.commands import Command as BaseCommand


class Command(BaseCommand):
    help = (
        "取り込みの確認待ちのまま残ったアップロードファイルと、バックグラウンド処理の記録（結果の"
        f"ファイルを含む）のうち、古いものを削除します（既定: {PENDING_HOURS}時間より前）。"
        "cron で毎日実行します。"
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--older-than-hours",
            type=float,
            default=PENDING_HOURS,
            metavar="時間",
            help=f"この時間より前のものを削除します（既定: {PENDING_HOURS}）。",
        )

    def handle(self, *args, older_than_hours, **options):
        if older_than_hours < 0:
            raise CommandError("--older-than-hours には0以上の時間を指定してください。")
        now = timezone.now()
        cutoff = now - timedelta(hours=older_than_hours)
        removed = remove_older_than(older_than_hours, now=now)
        jobs, _ = BackgroundJob.objects.filter(created_at__lt=cutoff).delete()
        # The queue's own record of each finished task (django-tasks' database backend).
        DBTaskResult.objects.finished().filter(finished_at__lt=cutoff).delete()
        self.stdout.write(
            f"{older_than_hours:g}時間より前のアップロードファイルを {removed} 件削除しました。"
        )
        self.stdout.write(
            f"{older_than_hours:g}時間より前に始めたバックグラウンド処理の記録を {jobs} 件"
            "削除しました。"
        )
