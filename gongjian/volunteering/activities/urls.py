"""Pages of posts, brands, activities, shifts, sign-ups, check-in, hours and the leaderboard, at /volunteering/activities/
in the "volunteering" namespace (no app_name here: the app's urls.py mounts the parts)."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from . import views

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.activities, name="activities"),
    path("export/", views.activity_export, name="activity_export"),
    path("new/", views.activity_create, name="activity_create"),
    path("<int:pk>/", views.activity_detail, name="activity_detail"),
    path("<int:pk>/edit/", views.activity_edit, name="activity_edit"),
    path("<int:pk>/do/<slug:action>/", views.activity_action, name="activity_action"),
    path("<int:activity>/shifts/new/", views.shift_form, name="shift_create"),
    path("shifts/<int:pk>/", views.shift_detail, name="shift_detail"),
    path("shifts/<int:pk>/edit/", views.shift_form, name="shift_edit"),
    path("shifts/<int:pk>/export/", views.shift_export, name="shift_export"),
    path("shifts/<int:pk>/qr/", views.shift_qr, name="shift_qr"),
    path("shifts/<int:pk>/do/<slug:action>/", views.shift_action, name="shift_action"),
    path("shifts/<int:pk>/signup/", views.signup, name="signup"),
    path("signups/<int:pk>/cancel/", views.signup_cancel, name="signup_cancel"),
    path("signups/<int:pk>/check/<slug:kind>/", views.staff_check, name="staff_check"),
    path("c/<str:token>/", views.checkin, name="checkin"),
    path("mine/", views.my_signups, name="my_signups"),
    path("hours/", views.hour_list, name="hour_list"),
    path("hours/export/", views.hour_export, name="hour_export"),
    path("hours/decide/", views.hour_decide, name="hour_decide"),
    path("hours/credit/", views.hour_credit, name="hour_credit"),
    path("hours/mine/", views.my_hours, name="my_hours"),
    path("points/", views.point_rule_edit, name="point_rule"),
    path("leaderboard/", views.leaderboard, name="leaderboard"),
    path("posts/", views.post_list, name="post_list"),
    path("posts/export/", views.post_export, name="post_export"),
    path("posts/new/", views.post_form, name="post_create"),
    path("posts/mine/", views.my_posts, name="my_posts"),
    path("posts/<int:pk>/", views.post_detail, name="post_detail"),
    path("posts/<int:pk>/edit/", views.post_form, name="post_edit"),
    path("posts/<int:pk>/close/", views.post_close, name="post_close"),
    path("posts/<int:pk>/apply/", views.post_apply, name="post_apply"),
    path("holdings/<int:pk>/<slug:action>/", views.holding_action, name="holding_action"),
    path("brands/", views.brand_list, name="brand_list"),
    path("brands/new/", views.brand_form, name="brand_create"),
    path("brands/<int:pk>/", views.brand_detail, name="brand_detail"),
    path("brands/<int:pk>/edit/", views.brand_form, name="brand_edit"),
]
