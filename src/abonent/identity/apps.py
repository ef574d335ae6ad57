from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IdentityConfig(AppConfig):
    name = "abonent.identity"
    label = "identity"
    verbose_name = _("Users and access")

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from abonent.identity.receivers import track_signed_in_session

        user_logged_in.connect(track_signed_in_session, dispatch_uid="identity.track_signed_in_session")
