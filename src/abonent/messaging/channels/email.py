"""E-mail through Django's configured e-mail backend (SMTP in production)."""

from __future__ import annotations

import smtplib

from django.conf import settings
from django.core.mail import EmailMessage

from abonent.messaging.channels import ChannelError, DeliveryReceipt, OutgoingMessage


class EmailTransport:
    def send(self, message: OutgoingMessage) -> DeliveryReceipt:
        email = EmailMessage(
            subject=message.subject,
            body=message.body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[message.recipient],
            headers={"Message-ID": f"<{message.idempotency_key}@abonent>"},
        )
        try:
            email.send(fail_silently=False)
        except smtplib.SMTPRecipientsRefused as exc:
            raise ChannelError(f"Recipient refused: {exc.recipients}", permanent=True) from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise ChannelError(f"SMTP error: {exc}", permanent=False) from exc
        return DeliveryReceipt(provider_message_id=message.idempotency_key)
