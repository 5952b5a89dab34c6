from django.urls import path

from . import views

app_name = "regions"

urlpatterns = [
    path("", views.tree, name="tree"),
    path("export/", views.export, name="export"),
    path("departments/", views.department_list, name="department_list"),
    path("departments/new/", views.department_create, name="department_create"),
    path("departments/<int:pk>/edit/", views.department_edit, name="department_edit"),
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
    path("r/<str:code>/", views.detail, name="detail"),
    path("r/<str:code>/new/", views.region_create, name="create"),
    path("r/<str:code>/edit/", views.region_edit, name="edit"),
    path("r/<str:code>/toggle/", views.region_toggle, name="toggle"),
    path("r/<str:code>/committee/", views.committee_edit, name="committee"),
    path("r/<str:code>/powers/new/", views.power_create, name="power_create"),
    path("r/<str:code>/structure/", views.structure, name="structure"),
    path("r/<str:code>/offices/new/", views.office_create, name="office_create"),
    path("r/<str:code>/quotas/new/", views.quota_create, name="quota_create"),
]
