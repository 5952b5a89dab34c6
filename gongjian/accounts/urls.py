from django.urls import path

from . import views

app_name = "accounts"

urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("otp/", views.otp, name="otp"),
    path("profile/", views.profile, name="profile"),
    path("profile/password/", views.password_change, name="password_change"),
    path("profile/tokens/<int:token_id>/revoke/", views.token_revoke, name="token_revoke"),
    path("manage/", views.account_list, name="account_list"),
    path("manage/new/", views.account_create, name="account_create"),
    path("manage/export/", views.account_export, name="account_export"),
    path("manage/<int:pk>/", views.account_detail, name="account_detail"),
    path("manage/<int:pk>/grant/", views.account_grant, name="account_grant"),
    path("manage/<int:pk>/scopes/<int:scope_id>/revoke/", views.scope_revoke, name="scope_revoke"),
    path("manage/<int:pk>/password/", views.account_password_reset, name="account_password_reset"),
    path("manage/<int:pk>/deactivate/", views.account_deactivate, name="account_deactivate"),
    path("manage/<int:pk>/reactivate/", views.account_reactivate, name="account_reactivate"),
    path("manage/<int:pk>/unlock/", views.account_unlock, name="account_unlock"),
    path("manage/<int:pk>/otp-reset/", views.account_otp_reset, name="account_otp_reset"),
]
