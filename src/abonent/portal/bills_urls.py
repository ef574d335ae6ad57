"""The cabinet's bills, mounted at /cabinet/bills/ (namespace "bills")."""

from django.urls import path

from abonent.portal.views import bills

urlpatterns = [
    path("", bills.index, name="index"),
    path("accounts/<int:account_id>/", bills.account_bills, name="account"),
    path("<int:bill_id>/", bills.bill_detail, name="detail"),
    path("preview/<int:account_id>/", bills.preview, name="preview"),
]
