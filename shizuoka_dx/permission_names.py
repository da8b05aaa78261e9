"""Permission names in Japanese. Django stores them once, in English (「Can add 重点項目」), when a
model is first migrated; the user and group pages of the admin list them. After every migrate
they are written again from each model's current name (「重点項目を追加できる」)."""

from django.apps import apps as global_apps
from django.conf import settings
from django.utils import translation

ACTIONS = {"add": "追加", "change": "変更", "delete": "削除", "view": "表示"}


def permission_name(action: str, verbose_name: str) -> str:
    return f"「{verbose_name}」を{ACTIONS[action]}できる"


def readable_name(model) -> str:
    """The model's name as people read it; a history table (django-simple-history names it
    「historical 実績」, untranslatable) is 「実績の変更履歴」."""
    original = getattr(model, "instance_type", None)
    if original is not None:
        return f"{original._meta.verbose_name}の変更履歴"
    return str(model._meta.verbose_name)


def japanese_permission_names(*, using="default", apps=global_apps, **kwargs):
    """post_migrate: rename the default permissions of every installed model."""
    with translation.override(settings.LANGUAGE_CODE):
        _rename(using, apps)


def _rename(using, apps):
    try:
        Permission = apps.get_model("auth", "Permission")
    except LookupError:
        return
    for permission in Permission.objects.using(using).select_related("content_type"):
        action, _, model_name = permission.codename.partition("_")
        if action not in ACTIONS:
            continue
        try:
            model = global_apps.get_model(permission.content_type.app_label, model_name)
        except LookupError:
            continue
        if model._meta.model_name != permission.content_type.model:
            continue
        name = permission_name(action, readable_name(model))[:255]
        if permission.name != name:
            permission.name = name
            permission.save(using=using, update_fields=["name"])
