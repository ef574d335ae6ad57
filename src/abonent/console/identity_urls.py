"""Staff pages of identity (namespace "console_identity", under /console/identity/)."""

from django.urls import path

from abonent.console import views_identity

urlpatterns = [
    path("accounts/<int:account_id>/", views_identity.account_access, name="account_access"),
    path(
        "accounts/<int:account_id>/registration-code/",
        views_identity.reissue_registration_code,
        name="reissue_registration_code",
    ),
    # The access id travels in the form body: the account in the path already scopes it.
    path("accounts/<int:account_id>/revoke/", views_identity.revoke, name="revoke_access"),
]
