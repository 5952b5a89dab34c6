from typing import Any

from django.urls import URLPattern, path

from gongjian.core.pages import entity_urls

from . import views

app_name = "regions"


def _pages_of_region(*routes: tuple[str, Any, str]) -> list[URLPattern]:
    """The pages of one region, under ``r/<code>/``: (suffix, view, URL name)."""
    return [path(f"r/<str:code>/{suffix}", view, name=name) for suffix, view, name in routes]


urlpatterns = [
    *_pages_of_region(
        ("", views.detail, "detail"),
        ("new/", views.region_create, "create"),
        ("edit/", views.region_edit, "edit"),
        ("toggle/", views.region_toggle, "toggle"),
        ("committee/", views.committee_edit, "committee"),
        ("powers/new/", views.power_create, "power_create"),
        ("structure/", views.structure, "structure"),
        ("offices/new/", views.office_create, "office_create"),
        ("quotas/new/", views.quota_create, "quota_create"),
    ),
    *entity_urls("departments/", "department", views),
    path("", views.tree, name="tree"),
    path("export/", views.export, name="export"),
    path("departments/<int:pk>/toggle/", views.department_toggle, name="department_toggle"),
    path("structure/", views.structure_list, name="structure_list"),
    path("office-templates/", views.office_templates, name="office_templates"),
    path("office-templates/<int:pk>/edit/", views.office_template_edit, name="office_template_edit"),
    path("offices/<int:pk>/edit/", views.office_edit, name="office_edit"),
    path("offices/<int:pk>/toggle/", views.office_toggle, name="office_toggle"),
    path("quotas/<int:pk>/edit/", views.quota_edit, name="quota_edit"),
    path("quotas/<int:pk>/delete/", views.quota_delete, name="quota_delete"),
    path("powers/<int:pk>/edit/", views.power_edit, name="power_edit"),
    path("powers/<int:pk>/deactivate/", views.power_deactivate, name="power_deactivate"),
]
