"""The console's billing pages, mounted at /console/billing/ (namespace "console_billing")."""

from django.urls import path

from abonent.console import views_billing as views

urlpatterns = [
    path("runs/", views.runs, name="runs"),
    path("runs/start/", views.start_run, name="start_run"),
    path("accounts/<int:account_id>/", views.account, name="account"),
]
