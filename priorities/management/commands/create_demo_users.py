from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

# Local demo accounts only: the README lists them. Never use these passwords on a real server.
DEMO_USERS = [
    {
        "username": "admin",
        "password": "shizuoka-admin-2025",
        "last_name": "管理者（デモ）",
        "is_staff": True,
        "is_superuser": True,
    },
]


class Command(BaseCommand):
    help = "ローカル確認用のデモユーザーを作成します（DEBUG=true のときだけ）。"

    def add_arguments(self, parser):
        parser.add_argument(
            "--force", action="store_true", help="DEBUG=false でも作成します（非推奨）。"
        )

    def handle(self, *args, force, **options):
        if not settings.DEBUG and not force:
            raise CommandError(
                "本番設定（DEBUG=false）ではデモユーザーを作成しません。パスワードが公開されているためです。"
            )
        User = get_user_model()
        for spec in DEMO_USERS:
            values = {key: value for key, value in spec.items() if key != "password"}
            user, created = User.objects.get_or_create(username=spec["username"], defaults=values)
            if created or not user.check_password(spec["password"]):
                for key, value in values.items():
                    setattr(user, key, value)
                user.set_password(spec["password"])
                user.save()
            state = "作成しました" if created else "確認しました"
            self.stdout.write(f"デモユーザー {spec['username']} を{state}")
