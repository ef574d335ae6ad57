"""The inbox: every message the company sent the customer, on any channel, in one archive.

A login reads the messages addressed to itself and to the customers it acts for (as an owner or a
representative); a tenant reads only what was sent to its own login.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from abonent.customers.models import Contact
from abonent.customers.services import mask_contact
from abonent.messaging.models import Channel, OutboundMessage, Topic
from abonent.messaging.selectors import (
    MessageNotFound,
    filter_messages,
    message_for_login,
    messages_for_login,
    unread_count,
)
from abonent.messaging.services import mark_all_read as mark_all_messages_read
from abonent.messaging.services import mark_read
from abonent.portal.forms import InboxFilterForm
from abonent.portal.views.dashboard import CabinetRequest, cabinet_view, viewer_for

PAGE_SIZE = 20
_PHONE_CHANNELS = (Channel.SMS, Channel.VOICE)


@dataclass(frozen=True)
class Letter:
    """A message as the inbox shows it: sign-in codes are never shown again, recipients are masked."""

    message: OutboundMessage

    @property
    def hidden(self) -> bool:
        return self.message.topic == Topic.SECURITY

    @property
    def unread(self) -> bool:
        return self.message.channel == Channel.CABINET and self.message.read_at is None

    @property
    def title(self) -> str:
        if self.hidden:
            return _("Security code")
        return self.message.subject or self.message.body.split("\n", 1)[0][:120]

    @property
    def recipient(self) -> str:
        channel, recipient = self.message.channel, self.message.recipient
        if channel in _PHONE_CHANNELS:
            return mask_contact(kind=Contact.Kind.PHONE, value=recipient)
        if channel == Channel.EMAIL:
            return mask_contact(kind=Contact.Kind.EMAIL, value=recipient)
        return ""


@cabinet_view
def inbox(request: CabinetRequest) -> HttpResponse:
    viewer = viewer_for(request.user)
    archive = messages_for_login(user_id=viewer.user.pk, customer_ids=viewer.customer_ids)
    form = InboxFilterForm(request.GET or None)
    if form.is_valid():
        archive = filter_messages(
            messages=archive,
            channel=form.cleaned_data["channel"],
            topic=form.cleaned_data["topic"],
            unread_only=form.cleaned_data["unread"],
        )
    page = Paginator(archive, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "page": page,
        "letters": [Letter(message) for message in page.object_list],
        "form": form,
        "unread": unread_count(user_id=viewer.user.pk, customer_ids=viewer.customer_ids),
        "query": query.urlencode(),
    }
    return render(request, "portal/inbox/list.html", context)


@cabinet_view
def message_detail(request: CabinetRequest, pk: int) -> HttpResponse:
    viewer = viewer_for(request.user)
    try:
        message = message_for_login(user_id=viewer.user.pk, customer_ids=viewer.customer_ids, message_id=pk)
    except MessageNotFound as exc:
        raise Http404(exc.message) from exc
    letter = Letter(message)
    if letter.unread:
        mark_read(message=message)
    return render(request, "portal/inbox/detail.html", {"letter": letter, "message": message})


@require_POST
@cabinet_view
def mark_all_read(request: CabinetRequest) -> HttpResponse:
    viewer = viewer_for(request.user)
    count = mark_all_messages_read(user_id=viewer.user.pk, customer_ids=viewer.customer_ids)
    if count:
        messages.success(request, _("All messages are marked as read."))
    return redirect("portal:inbox")
