"""The customer's profile: phone and e-mail, notification channels, paper bills and consents.

Everything here belongs to the customer behind the account, so changing it needs the EDIT_CONTACTS
action (an owner or a representative); a tenant sees that the owner manages it, and nothing of the
owner's data. A changed phone or e-mail is unconfirmed until the code sent to it is entered.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from abonent.core.normalize import format_phone
from abonent.customers.models import Account, Contact, Customer
from abonent.customers.services import confirm_contact as confirm_customer_contact
from abonent.customers.services import mask_contact, set_paper_bill, update_contact
from abonent.identity.errors import (
    ChallengeNotFound,
    CodeAttemptsExhausted,
    CodeExpired,
    CodeInvalid,
    CodeThrottled,
    ContactRequired,
)
from abonent.identity.models import OneTimeCode
from abonent.identity.selectors import (
    AccountAction,
    AccountNotFound,
    ActionNotAllowed,
    account_for_action,
    account_for_user,
    accounts_for_user,
    allowed_actions,
)
from abonent.identity.services.codes import parse_contact, send_one_time_code, verify_one_time_code
from abonent.messaging.models import Consent
from abonent.messaging.selectors import channel_choices, consent_in_force, consent_text
from abonent.messaging.services import give_consent, revoke_consent, set_channel_preferences
from abonent.portal.forms import (
    ConfirmCodeForm,
    ConsentForm,
    EmailForm,
    NotificationsForm,
    PaperBillForm,
    PhoneForm,
)
from abonent.portal.views.dashboard import (
    CURRENT_ACCOUNT,
    CabinetRequest,
    cabinet_view,
    remember_account,
    switcher_for,
    viewer_for,
)

CONTACT_FORMS: dict[str, type[PhoneForm | EmailForm]] = {
    Contact.Kind.PHONE: PhoneForm,
    Contact.Kind.EMAIL: EmailForm,
}
CONFIRMING = "portal:confirming:{kind}"  # session key: the code sent to a new contact


@cabinet_view
def profile(request: CabinetRequest) -> HttpResponse:
    """Open the profile of the account chosen last (or the first one)."""
    accounts = accounts_for_user(user=request.user).order_by("number")
    chosen = request.session.get(CURRENT_ACCOUNT)
    account_id = accounts.filter(pk=chosen).values_list("pk", flat=True).first() if chosen else None
    account_id = account_id or accounts.values_list("pk", flat=True).first()
    if account_id is None:
        return render(request, "portal/profile/index.html", {"account": None, "extra_css": True})
    return redirect("portal:account_profile", account_id=account_id)


@cabinet_view
def account_profile(request: CabinetRequest, account_id: int) -> HttpResponse:
    viewer = viewer_for(request.user)
    account = _account_or_404(request, account_id)
    remember_account(request, account.pk)
    can_edit = AccountAction.EDIT_CONTACTS in allowed_actions(user=request.user, account=account)
    context: dict[str, Any] = {
        "account": account,
        "can_edit": can_edit,
        "switcher": switcher_for(request, viewer, current=account, next_url=reverse("portal:profile")),
    }
    if can_edit:
        context.update(_sections(account))
    return render(request, "portal/profile/index.html", context)


def _sections(account: Account) -> dict[str, Any]:
    customer = account.customer
    contacts = _primary_contacts(customer)
    phone, email = contacts.get(Contact.Kind.PHONE), contacts.get(Contact.Kind.EMAIL)
    rows = [
        (
            Contact.Kind.PHONE,
            phone,
            format_phone(phone.value) if phone else "",
            reverse("portal:change_phone", args=[account.pk]),
            _("Mobile phone"),
        ),
        (
            Contact.Kind.EMAIL,
            email,
            email.value if email else "",
            reverse("portal:change_email", args=[account.pk]),
            _("E-mail"),
        ),
    ]
    return {
        "customer": customer,
        "contact_rows": rows,
        "email": email,
        "email_display": _masked(email) if email else "",
        "notifications": NotificationsForm(choices=channel_choices(customer_id=customer.pk)),
        "consent": consent_in_force(customer_id=customer.pk, kind=Consent.Kind.MARKETING),
        "consent_text": consent_text(kind=Consent.Kind.MARKETING),
    }


def _primary_contacts(customer: Customer) -> dict[str, Contact]:
    chosen: dict[str, Contact] = {}
    for contact in sorted(customer.contacts.all(), key=lambda c: (not c.is_primary, c.pk)):
        chosen.setdefault(contact.kind, contact)
    return chosen


# --- Phone and e-mail ---------------------------------------------------------------------------------


@cabinet_view
def change_contact(request: CabinetRequest, account_id: int, kind: str) -> HttpResponse:
    account = _editable_account_or_404(request, account_id)
    current = _primary_contacts(account.customer).get(kind)
    shown = (format_phone(current.value) if kind == Contact.Kind.PHONE else current.value) if current else ""
    form = CONTACT_FORMS[kind](request.POST or None, initial={"value": shown})
    if request.method == "POST" and form.is_valid():
        contact = update_contact(
            customer=account.customer,
            kind=kind,
            value=form.cleaned_data["value"],
            changed_by=request.user,
            request=request,
        )
        if contact.verified_at is not None:
            messages.info(request, _("This is already your confirmed contact; nothing changed."))
            return redirect(_profile_url(account, "contacts"))
        _send_code(request, contact)
        return redirect(_confirm_url(account, kind))
    context = {"account": account, "form": form, "kind": kind, "current": current}
    return render(request, "portal/profile/contact.html", context)


@cabinet_view
def confirm_contact(request: CabinetRequest, account_id: int, kind: str) -> HttpResponse:
    account = _editable_account_or_404(request, account_id)
    pending = request.session.get(CONFIRMING.format(kind=kind)) or {}
    contact = None
    if pending:
        contact = account.customer.contacts.filter(pk=pending["contact_id"], value=pending["value"]).first()
    if contact is None or contact.verified_at is not None:
        return redirect(_profile_url(account, "contacts"))
    if request.method == "POST" and "resend" in request.POST:
        _send_code(request, contact)
        return redirect(_confirm_url(account, kind))
    form = ConfirmCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid() and _code_accepted(request, form, pending, contact):
        confirm_customer_contact(
            contact=contact, value=pending["value"], confirmed_by=request.user, request=request
        )
        request.session.pop(CONFIRMING.format(kind=kind), None)
        messages.success(request, _("Confirmed. We will use it for notifications."))
        return redirect(_profile_url(account, "contacts"))
    context = {
        "account": account,
        "form": form,
        "kind": kind,
        "recipient": mask_contact(kind=kind, value=contact.value),
    }
    return render(request, "portal/profile/confirm.html", context)


def _send_code(request: CabinetRequest, contact: Contact) -> None:
    """Send a confirmation code to the contact; a resend asked too early is explained, not sent."""
    try:
        challenge = send_one_time_code(
            purpose=OneTimeCode.Purpose.CONFIRM_CONTACT,
            contact=parse_contact(contact.value),
            user=request.user,
            payload={"customer_contact_id": contact.pk},
        )
    except (CodeThrottled, ContactRequired) as exc:
        messages.warning(request, exc.message)
        return
    request.session[CONFIRMING.format(kind=contact.kind)] = {
        "token": challenge.token,
        "contact_id": contact.pk,
        "value": contact.value,
    }
    messages.info(request, _("We have sent a code to %(recipient)s.") % {"recipient": _masked(contact)})


def _code_accepted(
    request: CabinetRequest, form: ConfirmCodeForm, pending: dict[str, Any], contact: Contact
) -> bool:
    try:
        challenge = verify_one_time_code(
            token=pending["token"],
            purpose=OneTimeCode.Purpose.CONFIRM_CONTACT,
            code=form.cleaned_data["code"],
        )
    except (CodeInvalid, CodeExpired, CodeAttemptsExhausted, ChallengeNotFound) as exc:
        form.add_error("code", exc.message)
        return False
    if challenge.payload.get("customer_contact_id") != contact.pk:
        form.add_error("code", _("This code was sent for another contact. Ask for a new one."))
        return False
    return True


def _masked(contact: Contact) -> str:
    return mask_contact(kind=contact.kind, value=contact.value)


# --- Notifications, paper bills, consents ------------------------------------------------------------


@require_POST
@cabinet_view
def notifications(request: CabinetRequest, account_id: int) -> HttpResponse:
    account = _editable_account_or_404(request, account_id)
    form = NotificationsForm(request.POST, choices=channel_choices(customer_id=account.customer_id))
    if form.is_valid():
        changed = set_channel_preferences(
            customer=account.customer, choices=form.choices(), changed_by=request.user, request=request
        )
        if changed:
            messages.success(request, _("Notification settings saved."))
        else:
            messages.info(request, _("Nothing changed in the notification settings."))
    return redirect(_profile_url(account, "notifications"))


@require_POST
@cabinet_view
def paper_bill(request: CabinetRequest, account_id: int) -> HttpResponse:
    account = _editable_account_or_404(request, account_id)
    form = PaperBillForm(request.POST)
    if form.is_valid():
        wanted = form.cleaned_data["paper_bill"]
        set_paper_bill(customer=account.customer, paper_bill=wanted, changed_by=request.user, request=request)
        if wanted:
            messages.success(request, _("Paper bills will come by post again."))
        else:
            messages.success(request, _("Done: no more paper bills. Bills will be here in the cabinet."))
    return redirect(_profile_url(account, "paper-bill"))


@require_POST
@cabinet_view
def marketing_consent(request: CabinetRequest, account_id: int) -> HttpResponse:
    account = _editable_account_or_404(request, account_id)
    form = ConsentForm(request.POST)
    if form.is_valid():
        kind = Consent.Kind.MARKETING
        if form.cleaned_data["decision"] == ConsentForm.GIVE:
            give_consent(customer=account.customer, kind=kind, given_by=request.user, request=request)
            messages.success(request, _("Thank you. You can revoke the consent here at any time."))
        else:
            revoke_consent(customer=account.customer, kind=kind, revoked_by=request.user, request=request)
            messages.success(request, _("Consent revoked. We will not send you offers and promotions."))
    return redirect(_profile_url(account, "consents"))


# --- Access -----------------------------------------------------------------------------------------------


def _account_or_404(request: CabinetRequest, account_id: int) -> Account:
    try:
        account = account_for_user(user=request.user, account_id=account_id)
    except AccountNotFound as exc:
        raise Http404(exc.message) from exc
    return account


def _editable_account_or_404(request: CabinetRequest, account_id: int) -> Account:
    """Return the account if the login may change its customer's data: foreign → 404, a tenant → 403."""
    try:
        return account_for_action(
            user=request.user, account_id=account_id, action=AccountAction.EDIT_CONTACTS
        )
    except AccountNotFound as exc:
        raise Http404(exc.message) from exc
    except ActionNotAllowed as exc:
        raise PermissionDenied(exc.message) from exc


def _profile_url(account: Account, section: str) -> str:
    return f"{reverse('portal:account_profile', args=[account.pk])}#{section}"


def _confirm_url(account: Account, kind: str) -> str:
    return reverse(f"portal:confirm_{kind}", args=[account.pk])
