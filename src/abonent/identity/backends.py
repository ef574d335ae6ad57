"""Sign-in by phone number, e-mail or staff username with one password field."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest

from abonent.core.normalize import normalize_email, normalize_phone
from abonent.identity.models import User


class PhoneOrEmailBackend(ModelBackend):
    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> User | None:
        if not username or not password:
            return None
        user = find_user_by_login(username)
        if user is None:
            User().set_password(password)  # same hashing time whether or not the login exists
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None


def find_user_by_login(login: str) -> User | None:
    """Return the user whose phone, e-mail or username matches the login, or None."""
    login = login.strip()
    if "@" in login:
        return User.objects.filter(email__iexact=normalize_email(login)).first()
    phone = normalize_phone(login)
    if phone:
        return User.objects.filter(phone=phone).first()
    return User.objects.filter(username__iexact=login).first()
