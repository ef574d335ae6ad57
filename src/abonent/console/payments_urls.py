"""The console's payments pages, mounted at /console/payments/ (namespace "console_payments")."""

from django.urls import path

from abonent.console import views_payments as views

urlpatterns = [
    path("reconciliation/", views.reconciliation, name="reconciliation"),
    path("reconciliation/<int:report_id>/", views.report, name="report"),
    path("<uuid:payment_ref>/", views.payment, name="payment"),
    path("<uuid:payment_ref>/refund/", views.refund, name="refund"),
]
