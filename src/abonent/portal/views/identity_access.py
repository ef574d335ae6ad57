"""Who has access to my accounts: invite (link or code), withdraw, revoke, accept an invitation."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from abonent.core.errors import DomainError
from abonent.identity.errors import IdentityError, InvitationInvalid
from abonent.identity.models import AccountAccess, Invitation
from abonent.identity.ratelimits import enforce_rate_limit
from abonent.identity.selectors import (
    access_for_revocation,
    accesses_on_account,
    invitation_by_code,
    invitation_by_token,
    invitation_on_account,
    my_accesses,
    pending_invitation,
    pending_invitations,
    person_label,
)
from abonent.identity.services.sharing import (
    accept_invitation,
    complete_invitation_signup,
    invite_to_account,
    revoke_access,
    revoke_invitation,
    start_invitation_signup,
)
from abonent.identity.shortcodes import format_printable_code
from abonent.portal.views.identity_common import (
    current_challenge,
    domain_errors_as_http,
    forget_challenge,
    sign_in,
)
from abonent.portal.views.identity_forms import CodeForm, ContactForm, InvitationCodeForm, InviteForm
from abonent.portal.views.identity_signin import check_code, render_code_page, request_code

INVITATION_KEY = "identity_invitation"
ISSUED_KEY = "identity_issued_invitation"


@login_required
def access_overview(request: HttpRequest) -> HttpResponse:
    accesses = list(my_accesses(user=request.user))  # type: ignore[arg-type]  # login_required: a User
    return render(request, "portal/identity/access.html", {"accesses": accesses})


@login_required
def access_account(request: HttpRequest, account_id: int) -> HttpResponse:
    with domain_errors_as_http():
        account, accesses = accesses_on_account(user=request.user, account_id=account_id)  # type: ignore[arg-type]
    form = InviteForm(request.POST if request.POST.get("action") == "invite" else None)
    if request.method == "POST":
        response = _handle_account_post(request, account, form)
        if response:
            return response
    context = {
        "account": account,
        "people": [(access, person_label(access.user)) for access in accesses],
        "invitations": list(pending_invitations(account=account)),
        "form": form,
        "issued": request.session.pop(ISSUED_KEY, None),
        "me": request.user,
    }
    return render(request, "portal/identity/access_account.html", context)


def _handle_account_post(request: HttpRequest, account, form: InviteForm) -> HttpResponse | None:  # type: ignore[no-untyped-def]
    action = request.POST.get("action")
    here = reverse("identity:access_account", args=[account.pk])
    if action == "invite" and form.is_valid():
        data = form.cleaned_data
        try:
            issued = invite_to_account(
                account=account,
                invited_by=request.user,  # type: ignore[arg-type]  # login_required: a User
                role=data["role"],
                name=data["name"],
                valid_until=data["valid_until"],
                poa_number=data["poa_number"],
                poa_date=data["poa_date"],
            )
        except IdentityError as exc:
            form.add_error(None, exc.message)
            return None
        link = request.build_absolute_uri(reverse("identity:invite_accept") + f"?t={issued.token}")
        # Shown once, on the next page only: the code and link are never stored in clear.
        request.session[ISSUED_KEY] = {
            "code": format_printable_code(issued.code),
            "link": link,
            "role": issued.invitation.get_role_display(),
        }
        return redirect(here)
    if action == "withdraw":
        try:
            invitation = invitation_on_account(
                account=account, invitation_id=int(request.POST.get("invitation", 0))
            )
        except (InvitationInvalid, ValueError):
            messages.error(request, _("This invitation is already used or withdrawn."))
        else:
            revoke_invitation(invitation=invitation, revoked_by=request.user)  # type: ignore[arg-type]
            messages.success(request, _("The invitation is withdrawn: its link and code no longer work."))
        return redirect(here)
    return None


@login_required
@require_POST
def access_revoke(request: HttpRequest, account_id: int) -> HttpResponse:
    access_id = _int(request.POST.get("access"))
    with domain_errors_as_http():
        access = access_for_revocation(user=request.user, account_id=account_id, access_id=access_id)  # type: ignore[arg-type]
    own = access.user_id == request.user.pk
    try:
        revoke_access(access=access, revoked_by=request.user)  # type: ignore[arg-type]
    except DomainError as exc:  # e.g. the last owner: said on the page, not as an error page
        messages.error(request, exc.message)
    else:
        messages.success(request, _("You no longer have access.") if own else _("Access removed."))
    if own:
        return redirect("identity:access")
    return redirect("identity:access_account", account_id=access.account_id)


def invite_accept(request: HttpRequest) -> HttpResponse:
    token = request.GET.get("t")
    if token:
        return _open_invitation(request, lambda: invitation_by_token(token=token))
    invitation = _invitation_in_session(request)
    if invitation is None:
        return _invitation_code_page(request)
    if request.method == "POST" and request.POST.get("action") == "accept":
        return _accept_signed_in(request, invitation)
    contact_form = ContactForm(request.POST if request.POST.get("action") == "contact" else None)
    if contact_form.is_bound and contact_form.is_valid() and not request.user.is_authenticated:
        contact = contact_form.cleaned_data["contact"]
        response = request_code(
            request,
            flow="invite",
            form=contact_form,
            contact=contact,
            start=lambda: start_invitation_signup(invitation=invitation, contact=contact),
        )
        if response:
            return response
    context = {"invitation": invitation, "contact_form": contact_form}
    return render(request, "portal/identity/invite_accept.html", context)


def invite_confirm(request: HttpRequest) -> HttpResponse:
    challenge = current_challenge(request, "invite")
    if challenge is None:
        return redirect("identity:invite_accept")
    form = CodeForm(request.POST or None)
    expired = False
    if request.method == "POST" and form.is_valid():
        code = form.cleaned_data["code"]
        result, expired = check_code(
            request, form, lambda: complete_invitation_signup(token=challenge["token"], code=code)
        )
        if result is not None:
            user, _access = result  # type: ignore[misc]  # (User, AccountAccess)
            forget_challenge(request)
            request.session.pop(INVITATION_KEY, None)
            sign_in(request, user)
            messages.success(request, _("The invitation is accepted: the account is in your cabinet."))
            return redirect("portal:dashboard")
    return render_code_page(
        request,
        flow="invite",
        challenge=challenge,
        form=form,
        title=_("Accept the invitation"),
        expired=expired,
    )


def _open_invitation(request: HttpRequest, find) -> HttpResponse:  # type: ignore[no-untyped-def]
    try:
        enforce_rate_limit(request, scope="invitation_ip")
        invitation = find()
    except IdentityError as exc:
        messages.error(request, exc.message)
        return redirect("identity:invite_accept")
    request.session[INVITATION_KEY] = invitation.pk
    return redirect("identity:invite_accept")  # the token leaves the address bar and the history


def _invitation_code_page(request: HttpRequest) -> HttpResponse:
    form = InvitationCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        code = form.cleaned_data["code"]
        try:
            enforce_rate_limit(request, scope="invitation_ip")
            invitation = invitation_by_code(code=code)
        except IdentityError as exc:
            form.add_error("code", exc.message)
        else:
            request.session[INVITATION_KEY] = invitation.pk
            return redirect("identity:invite_accept")
    return render(request, "portal/identity/invite_code.html", {"form": form})


def _invitation_in_session(request: HttpRequest) -> Invitation | None:
    invitation_id = request.session.get(INVITATION_KEY)
    if not invitation_id:
        return None
    try:
        return pending_invitation(invitation_id=invitation_id)
    except InvitationInvalid:
        request.session.pop(INVITATION_KEY, None)
        return None


def _accept_signed_in(request: HttpRequest, invitation: Invitation) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect(f"{reverse('login')}?next={reverse('identity:invite_accept')}")
    if request.user.is_staff:
        messages.error(
            request, _("Staff logins cannot accept invitations. Sign in with your personal login.")
        )
        return redirect("identity:invite_accept")
    try:
        access: AccountAccess = accept_invitation(invitation=invitation, user=request.user)  # type: ignore[arg-type]
    except IdentityError as exc:
        messages.error(request, exc.message)
        return redirect("identity:invite_accept")
    request.session.pop(INVITATION_KEY, None)
    messages.success(
        request, _("The account %(number)s is now in your cabinet.") % {"number": access.account.number}
    )
    return redirect("portal:dashboard")


def _int(raw: str | None) -> int:
    """Return the posted id, or 0 (which names nothing) for anything that is not a number."""
    return int(raw) if raw and raw.isdigit() else 0
