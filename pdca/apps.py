from django.apps import AppConfig, apps
from django.db.models.signals import m2m_changed, post_delete, post_migrate, post_save

# The apps whose records make up the plan: the public pages drawn from the plan-only document
# (before the first publication) change with them. Yearly figures (actuals, cost records) are not
# in that document, and a published page reads only its snapshot.
PLAN_APPS = ("priorities", "kpis", "systems")
NOT_IN_THE_PLAN_ONLY_DOCUMENT = {
    ("kpis", "actual"),
    ("systems", "costrecord"),
    ("systems", "systemyear"),
}


def _plan_changed(sender, **kwargs):
    from pdca.public_cache import plan_changed

    plan_changed()


def _publication_changed(sender, **kwargs):
    from pdca.public_cache import publication_changed

    publication_changed()


def plan_models():
    from simple_history.models import HistoricalChanges

    for label in PLAN_APPS:
        for model in apps.get_app_config(label).get_models():
            if issubclass(model, HistoricalChanges):
                continue
            if (model._meta.app_label, model._meta.model_name) in NOT_IN_THE_PLAN_ONLY_DOCUMENT:
                continue
            yield model


class PdcaConfig(AppConfig):
    name = "pdca"
    verbose_name = "年度の評価と公表"

    def ready(self):
        from pdca import public_cache
        from shizuoka_dx.permission_names import japanese_permission_names

        post_migrate.connect(japanese_permission_names, dispatch_uid="japanese-permission-names")

        # Hash the code that draws the public pages as the process starts (about 5 ms), before
        # a deployment can replace the files under a worker that has not yet served a page.
        public_cache.render_version()
        # The public pages' cache (pdca/public_cache.py) follows every channel that writes.
        snapshot = self.get_model("PublishedSnapshot")
        post_save.connect(_publication_changed, sender=snapshot, dispatch_uid="public-snapshot")
        post_delete.connect(
            _publication_changed, sender=snapshot, dispatch_uid="public-snapshot-del"
        )
        # A new edition of the plan changes the public change log (/revisions/) at once.
        edition = apps.get_model("priorities", "PlanEdition")
        post_save.connect(_publication_changed, sender=edition, dispatch_uid="public-edition")
        for model in plan_models():
            post_save.connect(_plan_changed, sender=model, dispatch_uid=f"plan-{model._meta}")
            post_delete.connect(_plan_changed, sender=model, dispatch_uid=f"plan-del-{model._meta}")
            for field in model._meta.local_many_to_many:
                m2m_changed.connect(
                    _plan_changed,
                    sender=field.remote_field.through,
                    dispatch_uid=f"plan-m2m-{field}",
                )
