"""The web app's addresses."""

from pathlib import Path

import django.contrib.admin
from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.static import serve

from driftflag.web import views

ADMIN_STATIC = Path(django.contrib.admin.__file__).parent / "static"

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.sign_in, name="login"),
    path("logout/", views.sign_out, name="logout"),
    path("months/", views.months, name="months"),
    path("months/make/", views.make_worklist, name="make_worklist"),
    path("month/<str:month>/", views.month, name="month"),
    path("month/<str:month>/assign/", views.assign, name="assign"),
    path("month/<str:month>/workbook.xlsx", views.export_workbook, name="export_workbook"),
    path("month/<str:month>/audits/", views.all_audits, name="all_audits"),
    path("month/<str:month>/case/<str:child_id>/", views.case, name="case"),
    path("month/<str:month>/case/<str:child_id>/moderate/", views.moderate, name="moderate"),
    path("my-cases/", views.my_cases, name="my_cases"),
    path("audit-report/", views.audit_report, name="audit_report"),
    path("access-log/", views.access_log, name="access_log"),
    path("figures/", views.aggregates, name="aggregates"),
    path("models/", views.models, name="models"),
    path("models/<int:version>/card/", views.model_card, name="model_card"),
    path("scorecard/", views.scorecard, name="scorecard"),
    path("scorecard/<int:index>/", views.scorecard, name="scorecard_file"),
    path("scorecard/<int:index>/<path:asset>", views.scorecard),
    path("fairness/", views.fairness, name="fairness"),
    path("fairness/<int:index>/", views.fairness, name="fairness_file"),
    path("fairness/<int:index>/<path:asset>", views.fairness),
    path("monitoring/", views.monitoring, name="monitoring"),
    path("monitoring/<int:index>/", views.monitoring, name="monitoring_file"),
    path("monitoring/<int:index>/<path:asset>", views.monitoring),
    path("admin/", admin.site.urls),
    # the admin's own stylesheets, from Django's package (nothing from outside)
    path("static/<path:path>", serve, {"document_root": ADMIN_STATIC}),
]

if "mozilla_django_oidc" in settings.INSTALLED_APPS:  # signing in through the council's identity provider
    urlpatterns.append(path("oidc/", include("mozilla_django_oidc.urls")))
