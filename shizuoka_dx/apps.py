"""Japanese names for installed packages' admin sections (their apps keep their labels, so no
migration changes). Their models' and fields' names are translated in locale/ja."""

from axes.apps import AppConfig as AxesAppConfig
from django_tasks_db.apps import TasksAppConfig


class AxesConfig(AxesAppConfig):
    verbose_name = "ログインの記録と制限"


class TasksDatabaseConfig(TasksAppConfig):
    verbose_name = "バックグラウンド処理"
