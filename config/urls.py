"""Every module's pages under its manifest's prefix (core's, at the root, last), the API, the language switch."""

from django.urls import include, path

from gongjian.core import registry

from .api import api

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", api.urls),
    *(path(m.url_prefix, include(m.urls)) for m in registry.url_modules() if m.urls),
]
