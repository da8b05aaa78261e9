from django.apps import AppConfig
from django.db.models.signals import post_migrate


class PrioritiesConfig(AppConfig):
    name = "priorities"
    verbose_name = "計画と重点項目"

    def ready(self):
        from priorities.roles import create_roles_after_migrate

        post_migrate.connect(create_roles_after_migrate, sender=self)
