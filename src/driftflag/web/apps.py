"""The Django app of the web face."""

from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "driftflag.web"
    label = "driftflag_web"
    verbose_name = "driftflag audit month"
    default_auto_field = "django.db.models.BigAutoField"
