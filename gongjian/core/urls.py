from django.urls import include, path

from . import views

app_name = "core"

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("audit/", views.audit_list, name="audit_list"),
    path("figures/", views.figures, name="figures"),
    path("notifications/", include("gongjian.core.views_notifications")),
    path("imports/<slug:kind>/", views.import_start, name="import_start"),
    path("imports/<slug:kind>/template/", views.import_template, name="import_template"),
    path("imports/<slug:kind>/<str:token>/", views.import_review, name="import_review"),
    path("imports/<slug:kind>/<str:token>/errors/", views.import_errors, name="import_errors"),
    path("imports/<slug:kind>/<str:token>/apply/", views.import_apply, name="import_apply"),
]
