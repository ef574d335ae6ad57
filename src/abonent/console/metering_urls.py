"""The console's metering pages, mounted at /console/metering/ (namespace "console_metering")."""

from django.urls import path

from abonent.console import views_metering as views

urlpatterns = [
    path("review/", views.queue, name="review_queue"),
    path("accounts/<int:account_id>/", views.account, name="account"),
    path("accounts/<int:account_id>/ivr-pin/", views.issue_pin, name="issue_pin"),
    path("meters/<int:meter_id>/", views.meter, name="meter"),
    path("meters/<int:meter_id>/review/", views.review, name="review"),
]
