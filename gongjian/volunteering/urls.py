from django.urls import include, path

app_name = "volunteering"

urlpatterns = [
    path("", include("gongjian.volunteering.members.urls")),
    path("activities/", include("gongjian.volunteering.activities.urls")),
    path("roads/", include("gongjian.volunteering.roads.urls")),
]
