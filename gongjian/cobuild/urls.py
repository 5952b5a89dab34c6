from django.urls import include, path

from . import views

app_name = "cobuild"

urlpatterns = [
    path("needs/", views.need_list, name="need_list"),
    path("needs/export/", views.need_export, name="need_export"),
    path("needs/new/", views.need_create, name="need_create"),
    path("needs/<int:pk>/", views.need_detail, name="need_detail"),
    path("needs/<int:pk>/edit/", views.need_edit, name="need_edit"),
    path("needs/<int:pk>/<slug:action>/", views.need_action, name="need_action"),
    path("wish/", views.wish_create, name="wish_create"),
    path("resources/", views.resource_list, name="resource_list"),
    path("resources/export/", views.resource_export, name="resource_export"),
    path("resources/new/", views.resource_create, name="resource_create"),
    path("resources/<int:pk>/", views.resource_detail, name="resource_detail"),
    path("resources/<int:pk>/edit/", views.resource_edit, name="resource_edit"),
    path("resources/<int:pk>/<slug:action>/", views.resource_action, name="resource_action"),
    path("categories/", views.category_list, name="category_list"),
    path("categories/new/", views.category_create, name="category_create"),
    path("categories/<int:pk>/edit/", views.category_edit, name="category_edit"),
    path("categories/<int:pk>/toggle/", views.category_toggle, name="category_toggle"),
    path("projects/", include("gongjian.cobuild.projects.urls")),
    path("matching/", include("gongjian.cobuild.suggestions.urls")),
    path("partners/", include("gongjian.cobuild.partners.urls")),
]
