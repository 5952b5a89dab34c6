from django.urls import include, path

from .api import api

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", api.urls),
    path("accounts/", include("gongjian.accounts.urls")),
    path("regions/", include("gongjian.regions.urls")),
    path("orgs/", include("gongjian.orgs.urls")),
    path("cobuild/", include("gongjian.cobuild.urls")),
    path("matters/", include("gongjian.matters.web.urls")),
    path("meetings/", include("gongjian.meetings.urls")),
    path("volunteering/", include("gongjian.volunteering.urls")),
    path("", include("gongjian.core.urls")),
]
