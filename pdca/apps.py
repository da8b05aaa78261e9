from django.apps import AppConfig


class PdcaConfig(AppConfig):
    name = "pdca"
    verbose_name = "年度の評価と公表"
