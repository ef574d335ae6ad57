"""The console's documents: a client's documents and folders (audited), document templates (edit,
preview with sample data, publish), the monthly composition runs and their print batches."""

from __future__ import annotations

import base64
from datetime import date

from django import forms
from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from abonent.core.audit import record_audit_event
from abonent.core.errors import DomainError
from abonent.core.models import AuditEvent, Branch
from abonent.documents import attachments as attachment_service
from abonent.documents import composition
from abonent.documents.errors import TemplateCompileError
from abonent.documents.models import (
    AttachmentSource,
    CompositionRun,
    DocumentKind,
    DocumentTemplate,
    FolderCategory,
    PrintBatch,
)
from abonent.documents.selectors import (
    active_rules,
    attachment_for_user,
    client_folders,
    customer_attachments,
    customer_documents,
    document_for_user,
    folder_for,
    render_document,
)
from abonent.documents.services import (
    check_template,
    create_client_folders,
    create_template_version,
    publish_template,
    update_draft,
)
from abonent.identity.models import StaffRole, User
from abonent.identity.selectors import AccountAction, account_for_action
from abonent.metering.forms import domain_errors_as_http

staff_only = staff_member_required(login_url="login")
PAGE_SIZE = 50


def _may_edit_templates(user: User) -> bool:
    return user.is_superuser or user.has_perm("documents.change_documenttemplate")


def _may_run_composition(user: User) -> bool:
    return user.is_superuser or user.staff_role in (StaffRole.HEAD, StaffRole.ADMINISTRATOR)


def _audit(request: HttpRequest, target: object, reason: str) -> None:
    record_audit_event(
        actor=request.user,
        action=AuditEvent.Action.VIEW,
        target=target,  # type: ignore[arg-type]  # a model instance
        personal_data=True,
        request=request,
        reason=reason,
    )


# --- a client's documents --------------------------------------------------------------------------------


class UploadForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    file = forms.FileField(label=_("File"))


@staff_only
def client(request: HttpRequest, account_id: int) -> HttpResponse:
    action = AccountAction.EDIT_CONTACTS if request.method == "POST" else AccountAction.VIEW
    with domain_errors_as_http():
        account = account_for_action(user=request.user, account_id=account_id, action=action)
    customer = account.customer
    _audit(request, customer, "console documents: client's documents")
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            attachment_service.store_attachment(
                customer=customer,
                account=account,
                title=form.cleaned_data["title"],
                upload=form.cleaned_data["file"],
                source=AttachmentSource.STAFF,
                uploaded_by=request.user,
            )
        except DomainError as exc:
            form.add_error("file", exc.message)
        else:
            messages.success(request, gettext("The file is added to the client's folder."))
            return redirect("console_documents:client", account_id=account.pk)
    rules = active_rules()
    page = Paginator(customer_documents(customer=customer).select_related("account"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    documents = [
        (document, FolderCategory(folder_for(rules=rules, kind=document.kind)).label) for document in page
    ]
    context = {
        "account": account,
        "customer": customer,
        "page": page,
        "documents": documents,
        "folders": client_folders(customer=customer) or create_client_folders(customer=customer),
        "attachments": customer_attachments(customer=customer)[:PAGE_SIZE],
        "form": form,
    }
    return render(request, "console/documents/client.html", context)


@staff_only
def document_file(request: HttpRequest, document_id: int, fmt: str) -> HttpResponse:
    with domain_errors_as_http():
        document = document_for_user(user=request.user, document_id=document_id)
    _audit(request, document, f"console documents: {fmt}")
    return _document_response(document, fmt)


def _document_response(document, fmt: str) -> HttpResponse:  # type: ignore[no-untyped-def]
    with domain_errors_as_http():
        content = render_document(document=document, fmt=fmt)
    content_type = "image/png" if fmt == "png" else "application/pdf"
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'inline; filename="document-{document.pk}.{fmt}"'
    response["Cache-Control"] = "private, max-age=3600"
    return response


@staff_only
def attachment_file(request: HttpRequest, attachment_id: int) -> FileResponse:
    with domain_errors_as_http():
        attachment = attachment_for_user(user=request.user, attachment_id=attachment_id)
    _audit(request, attachment, "console documents: attachment")
    return attachment_service.attachment_response(attachment)


# --- templates ---------------------------------------------------------------------------------------


class TemplateForm(forms.Form):
    source = forms.CharField(
        label=_("Typst source"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 24, "spellcheck": "false", "class": "code"}),
    )
    upload = forms.FileField(label=_("…or upload a .typ file"), required=False)
    note = forms.CharField(label=_("What changed"), max_length=300, required=False)

    def clean(self) -> dict:
        data = super().clean() or {}
        upload = data.get("upload")
        if upload:
            try:
                data["source"] = upload.read(1_000_000).decode("utf-8")
            except UnicodeDecodeError as exc:
                raise forms.ValidationError(_("The uploaded template must be UTF-8 text.")) from exc
        if not (data.get("source") or "").strip():
            raise forms.ValidationError(_("Paste the template's source or upload a .typ file."))
        return data


def _template_editor_only(request: HttpRequest) -> None:
    if not _may_edit_templates(request.user):
        raise PermissionDenied


@staff_only
def templates(request: HttpRequest) -> HttpResponse:
    _template_editor_only(request)
    rows = DocumentTemplate.objects.defer("source").order_by("kind", "-version")
    return render(request, "console/documents/templates.html", {"templates": rows, "kinds": DocumentKind})


@staff_only
def template_detail(request: HttpRequest, template_id: int) -> HttpResponse:
    _template_editor_only(request)
    template = get_object_or_404(DocumentTemplate, pk=template_id)
    form = TemplateForm(
        request.POST or None,
        request.FILES or None,
        initial={"source": template.source, "note": template.note},
    )
    context: dict[str, object] = {"template": template, "form": form}
    if request.method == "POST" and form.is_valid():
        source, note = form.cleaned_data["source"], form.cleaned_data["note"]
        action = request.POST.get("action", "preview")
        try:
            if action == "save_new":
                created = create_template_version(
                    kind=template.kind, source=source, note=note, created_by=request.user
                )
                messages.success(request, gettext("Saved as draft version %(v)d.") % {"v": created.version})
                return redirect("console_documents:template", template_id=created.pk)
            if action == "save" and template.status == DocumentTemplate.Status.DRAFT:
                update_draft(template=template, source=source, note=note, changed_by=request.user)
                messages.success(request, gettext("Draft saved."))
                return redirect("console_documents:template", template_id=template.pk)
            context["preview"] = base64.b64encode(check_template(kind=template.kind, source=source)).decode()
        except TemplateCompileError as exc:
            context["compile_error"] = exc
            context["error_lines"] = _numbered(source, exc.lines)
        except DomainError as exc:
            form.add_error(None, exc.message)
    elif request.method == "GET":
        try:
            preview = check_template(kind=template.kind, source=template.source)
            context["preview"] = base64.b64encode(preview).decode()
        except TemplateCompileError as exc:
            context["compile_error"] = exc
    return render(request, "console/documents/template.html", context)


def _numbered(source: str, lines: list[int]) -> list[tuple[int, str]]:
    """Return the lines Typst named, each with a line of context before and after."""
    text = source.splitlines()
    wanted = sorted({n for line in lines for n in (line - 1, line, line + 1) if 1 <= n <= len(text)})
    return [(n, text[n - 1]) for n in wanted]


@staff_only
@require_POST
def template_publish(request: HttpRequest, template_id: int) -> HttpResponse:
    _template_editor_only(request)
    template = get_object_or_404(DocumentTemplate, pk=template_id)
    try:
        publish_template(template=template, published_by=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            gettext("Published. New documents of this kind use version %(v)d.") % {"v": template.version},
        )
    return redirect("console_documents:template", template_id=template.pk)


# --- composition runs ----------------------------------------------------------------------------------


class RunForm(forms.Form):
    branch = forms.ModelChoiceField(label=_("Branch"), queryset=Branch.objects.all())
    period = forms.DateField(
        label=_("Period (first day of the month)"), widget=forms.DateInput(attrs={"type": "date"})
    )

    def clean_period(self) -> date:
        return self.cleaned_data["period"].replace(day=1)


def _runs_only(request: HttpRequest) -> None:
    if not _may_run_composition(request.user):
        raise PermissionDenied


@staff_only
def runs(request: HttpRequest) -> HttpResponse:
    _runs_only(request)
    form = RunForm(request.POST or None)
    if request.user.branch_id:
        form.fields["branch"].queryset = Branch.objects.filter(pk=request.user.branch_id)  # type: ignore[attr-defined]
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                run = composition.start_composition(
                    branch=form.cleaned_data["branch"],
                    period=form.cleaned_data["period"],
                    started_by=request.user,
                )
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, gettext("Composition started: %(n)d bills.") % {"n": run.total})
            return redirect("console_documents:runs")
    rows = CompositionRun.objects.select_related("branch").prefetch_related("print_batches")
    if request.user.branch_id:
        rows = rows.filter(branch_id=request.user.branch_id)
    return render(request, "console/documents/runs.html", {"runs": rows[:50], "form": form})


def _run_for(request: HttpRequest, run_id: int) -> CompositionRun:
    _runs_only(request)
    rows = CompositionRun.objects.select_related("branch")
    if request.user.branch_id:
        rows = rows.filter(branch_id=request.user.branch_id)
    run = rows.filter(pk=run_id).first()
    if run is None:
        raise Http404
    return run


@staff_only
@require_POST
def run_resume(request: HttpRequest, run_id: int) -> HttpResponse:
    run = _run_for(request, run_id)
    try:
        composition.resume_composition(run=run)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, gettext("The remaining chunks are queued again."))
    return redirect("console_documents:runs")


@staff_only
@require_POST
def run_print(request: HttpRequest, run_id: int) -> HttpResponse:
    run = _run_for(request, run_id)
    composition.request_print_batch(run=run)
    messages.success(request, gettext("The print batch is being prepared."))
    return redirect("console_documents:runs")


@staff_only
def print_batch_file(request: HttpRequest, batch_id: int) -> FileResponse:
    batch = get_object_or_404(PrintBatch.objects.select_related("run"), pk=batch_id)
    _run_for(request, batch.run_id)
    if not batch.file:
        raise Http404
    record_audit_event(
        actor=request.user,
        action=AuditEvent.Action.VIEW,
        target=batch,
        personal_data=True,
        request=request,
        reason="print batch downloaded",
    )
    return FileResponse(
        batch.file.open("rb"), as_attachment=True, filename=batch.file.name.rsplit("/", 1)[-1]
    )
