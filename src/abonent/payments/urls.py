"""The sandbox gateway's hosted pages, mounted at /payments/sandbox/ (namespace "sandbox")."""

from django.urls import path

from abonent.payments.gateways import sandbox_views

app_name = "sandbox"
urlpatterns = [
    path("<str:sandbox_id>/", sandbox_views.card, name="card"),
    path("<str:sandbox_id>/3ds/", sandbox_views.code, name="code"),
]
