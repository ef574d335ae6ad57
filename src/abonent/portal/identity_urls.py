"""Sign-in, registration, sessions and sharing pages (namespace "identity", included at the site root)."""

from django.urls import path

from abonent.portal.views import (
    identity_access,
    identity_accounts,
    identity_register,
    identity_sessions,
    identity_signin,
)

urlpatterns = [
    path("login/code/", identity_signin.code_sign_in, name="code_login"),
    path("login/code/confirm/", identity_signin.code_sign_in_confirm, name="code_login_confirm"),
    path("password/reset/", identity_signin.password_reset, name="password_reset"),
    path("password/reset/confirm/", identity_signin.password_reset_confirm, name="password_reset_confirm"),
    path("code/resend/", identity_signin.resend_code, name="resend_code"),
    path("register/", identity_register.register, name="register"),
    path("register/meter/", identity_register.register_by_meter, name="register_meter"),
    path("register/confirm/", identity_register.register_confirm, name="register_confirm"),
    path("invite/", identity_access.invite_accept, name="invite_accept"),
    path("invite/confirm/", identity_access.invite_confirm, name="invite_confirm"),
    path("cabinet/access/", identity_access.access_overview, name="access"),
    path("cabinet/access/<int:account_id>/", identity_access.access_account, name="access_account"),
    # The access id travels in the form body: the account in the path already scopes it.
    path("cabinet/access/<int:account_id>/revoke/", identity_access.access_revoke, name="access_revoke"),
    path("cabinet/sessions/", identity_sessions.sessions, name="sessions"),
    path("cabinet/accounts/", identity_accounts.accounts, name="accounts"),
]
