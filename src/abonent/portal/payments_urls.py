"""The cabinet's payment pages (mounted at /cabinet/payments/, namespace "payments") and the pay-by-link
pages that need no sign-in (`public_urlpatterns`, mounted at /pay/, namespace "paylink")."""

from django.urls import path

from abonent.portal.views import payments

urlpatterns = [
    path("", payments.pay, name="pay"),
    path("accounts/<int:account_id>/", payments.pay_account, name="pay_account"),
    path("accounts/<int:account_id>/autopay/", payments.autopay, name="autopay"),
    path("history/", payments.history, name="history"),
    path("<uuid:payment_ref>/", payments.result, name="result"),
    path("<uuid:payment_ref>/status/", payments.result_status, name="result_status"),
    path("<uuid:payment_ref>/receipt/", payments.receipt, name="receipt"),
]

public_urlpatterns = [
    path("done/<uuid:payment_ref>/", payments.link_done, name="done"),
    path("<str:token>/", payments.link_pay, name="pay"),
]
