"""Staff pages of identity: who has access to an account, revoke it, reissue the bill's registration code."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.contrib.auth.decorators import permission_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from abonent.core.audit import record_audit_event
from abonent.core.errors import DomainError, NotFound
from abonent.core.models import AuditEvent
from abonent.customers.models import Account
from abonent.identity.selectors import (
    access_for_revocation,
    access_history,
    account_for_user,
    pending_invitations,
    person_label,
    registration_code_status,
)
from abonent.identity.services.registration import issue_registration_code
from abonent.identity.services.sharing import revoke_access
from abonent.identity.shortcodes import format_printable_code

ISSUED_KEY = "console_issued_registration_code"


def _account(request: HttpRequest, account_id: int) -> Account:
    try:
        return account_for_user(user=request.user, account_id=account_id)  # type: ignore[arg-type]
    except NotFound as exc:
        raise Http404(exc.message) from exc


@staff_member_required(login_url="login")
@permission_required("identity.view_accountaccess", raise_exception=True)
def account_access(request: HttpRequest, account_id: int) -> HttpResponse:
    account = _account(request, account_id)
    record_audit_event(
        actor=request.user,
        action=AuditEvent.Action.VIEW,
        target=account,
        personal_data=True,
        request=request,
        reason="console: account accesses",
    )
    issued = request.session.pop(ISSUED_KEY, None)
    context = {
        "account": account,
        "grants": [(access, person_label(access.user)) for access in access_history(account=account)],
        "invitations": list(pending_invitations(account=account)),
        "registration_code": registration_code_status(account=account),
        "issued": issued if issued and issued["account"] == account.pk else None,
        "can_revoke": request.user.has_perm("identity.revoke_accountaccess"),
        "can_issue": request.user.has_perm("identity.add_registrationcode"),
    }
    return render(request, "console/identity/account_access.html", context)


@staff_member_required(login_url="login")
@permission_required("identity.add_registrationcode", raise_exception=True)
@require_POST
def reissue_registration_code(request: HttpRequest, account_id: int) -> HttpResponse:
    account = _account(request, account_id)
    raw = issue_registration_code(account=account, issued_by=request.user)  # type: ignore[arg-type]
    # Shown once on the next page, to dictate or print; only its hash is kept.
    request.session[ISSUED_KEY] = {"account": account.pk, "code": format_printable_code(raw)}
    return redirect("console_identity:account_access", account_id=account.pk)


@staff_member_required(login_url="login")
@require_POST
def revoke(request: HttpRequest, account_id: int) -> HttpResponse:
    raw_id = request.POST.get("access", "")
    try:
        access = access_for_revocation(
            user=request.user,  # type: ignore[arg-type]
            account_id=account_id,
            access_id=int(raw_id) if raw_id.isdigit() else 0,
        )
    except NotFound as exc:
        raise Http404(exc.message) from exc
    reason = request.POST.get("reason", "").strip()
    if not reason:
        messages.error(request, _("Write why the access is removed: it goes to the audit log."))
        return redirect("console_identity:account_access", account_id=access.account_id)
    try:
        revoke_access(
            access=access,
            revoked_by=request.user,  # type: ignore[arg-type]
            reason=f"console: {reason}",
            allow_last_owner=True,
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Access removed."))
    return redirect("console_identity:account_access", account_id=access.account_id)
