from django.urls import include, path

from gongjian.core.pages import entity_urls

from . import views

app_name = "cobuild"

urlpatterns = [
    *entity_urls("needs/", "need", views),
    path("wish/", views.wish_create, name="wish_create"),
    *entity_urls("resources/", "resource", views),
    *entity_urls("categories/", "category", views),
    path("categories/<int:pk>/toggle/", views.category_toggle, name="category_toggle"),
    path("projects/", include("gongjian.cobuild.projects.urls")),
    path("matching/", include("gongjian.cobuild.suggestions.urls")),
    path("partners/", include("gongjian.cobuild.partners.urls")),
]
