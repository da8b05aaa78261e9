from django.core.management.base import BaseCommand, CommandError

from pdca.uploads import PENDING_HOURS, remove_older_than, upload_dir


class Command(BaseCommand):
    help = (
        "取り込みの確認待ちのまま残ったアップロードファイルのうち、古いものを削除します"
        f"（既定: {PENDING_HOURS}時間より前）。cron で毎日実行します。"
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--older-than-hours",
            type=float,
            default=PENDING_HOURS,
            metavar="時間",
            help=f"この時間より前に書かれたファイルを削除します（既定: {PENDING_HOURS}）。",
        )

    def handle(self, *args, older_than_hours, **options):
        if older_than_hours < 0:
            raise CommandError("--older-than-hours には0以上の時間を指定してください。")
        removed = remove_older_than(older_than_hours)
        self.stdout.write(
            f"{upload_dir()} から、{older_than_hours:g}時間より前のアップロードファイルを"
            f" {len(removed)} 件削除しました。"
        )
