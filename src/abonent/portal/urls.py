from django.urls import path

from abonent.portal.views import dashboard

app_name = "portal"
urlpatterns = [
    path("", dashboard.dashboard, name="dashboard"),
]
