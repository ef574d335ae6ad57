from django.urls import path

from abonent.portal.views import dashboard, inbox, profile

app_name = "portal"
urlpatterns = [
    path("", dashboard.dashboard, name="dashboard"),
    path("switch/", dashboard.switch_account, name="switch_account"),
    path("accounts/<int:account_id>/", dashboard.account_overview, name="account"),
    path("profile/", profile.profile, name="profile"),
    path("accounts/<int:account_id>/profile/", profile.account_profile, name="account_profile"),
    path(
        "accounts/<int:account_id>/profile/phone/",
        profile.change_contact,
        {"kind": "phone"},
        name="change_phone",
    ),
    path(
        "accounts/<int:account_id>/profile/email/",
        profile.change_contact,
        {"kind": "email"},
        name="change_email",
    ),
    path(
        "accounts/<int:account_id>/profile/phone/confirm/",
        profile.confirm_contact,
        {"kind": "phone"},
        name="confirm_phone",
    ),
    path(
        "accounts/<int:account_id>/profile/email/confirm/",
        profile.confirm_contact,
        {"kind": "email"},
        name="confirm_email",
    ),
    path("accounts/<int:account_id>/profile/notifications/", profile.notifications, name="notifications"),
    path("accounts/<int:account_id>/profile/paper-bill/", profile.paper_bill, name="paper_bill"),
    path(
        "accounts/<int:account_id>/profile/consents/marketing/",
        profile.marketing_consent,
        name="marketing_consent",
    ),
    path("messages/", inbox.inbox, name="inbox"),
    path("messages/read-all/", inbox.mark_all_read, name="inbox_read_all"),
    # `pk`: the message's id (tests/test_access_leaks.py knows no message_id parameter yet).
    path("messages/<int:pk>/", inbox.message_detail, name="message"),
]
