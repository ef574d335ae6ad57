from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IdentityConfig(AppConfig):
    name = "abonent.identity"
    label = "identity"
    verbose_name = _("Users and access")

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in
        from django.db.models.signals import post_delete, post_save

        from abonent.identity.models import User
        from abonent.identity.receivers import forget_changed_user, track_signed_in_session

        user_logged_in.connect(track_signed_in_session, dispatch_uid="identity.track_signed_in_session")
        for signal in (post_save, post_delete):
            signal.connect(forget_changed_user, sender=User, dispatch_uid=f"identity.forget_user.{signal}")
