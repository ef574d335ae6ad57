"""Documents: Typst templates by version, the compact archive of issued documents, client folders,
attachments, and the monthly composition runs with their print batches.

The archive keeps no PDF: a document is its canonical data (sorted-key JSON) compressed with zstd and a
dictionary trained on its kind, plus the template version it was issued with and the SHA-256 of the
data. Rendering the pinned template with the data reproduces the document. Rows are narrow (a small
integer kind, foreign keys, ~150 bytes of data) because a utility issues millions a month.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from abonent.core.models import Branch
from abonent.customers.models import Account, Customer


class DocumentKind(models.IntegerChoices):
    """What a document is; a small integer keeps millions of archive rows narrow."""

    BILL = 1, _("Bill (unified payment document)")
    RECONCILIATION_ACT = 2, _("Reconciliation act")
    DEBT_NOTICE = 3, _("Debt notice")
    CONTRACT = 4, _("Contract")
    APPEAL_ANSWER = 5, _("Answer to an appeal")
    GRID_CONNECTION = 6, _("Grid connection document")
    LETTER = 7, _("Letter")


KIND_SLUGS: dict[int, str] = {
    DocumentKind.BILL: "bill",
    DocumentKind.RECONCILIATION_ACT: "reconciliation_act",
    DocumentKind.DEBT_NOTICE: "debt_notice",
    DocumentKind.CONTRACT: "contract",
    DocumentKind.APPEAL_ANSWER: "appeal_answer",
    DocumentKind.GRID_CONNECTION: "grid_connection",
    DocumentKind.LETTER: "letter",
}


class FolderCategory(models.TextChoices):
    """The folders every client has."""

    APPLICATIONS = "applications", _("Applications")
    ANSWERS = "answers", _("Answers")
    LETTERS = "letters", _("Letters")
    CONTRACTS = "contracts", _("Contracts")
    BILLS = "bills", _("Bills")


class DocumentTemplate(models.Model):
    """One version of the Typst source of a kind; a published version never changes again."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")

    kind = models.PositiveSmallIntegerField(_("kind"), choices=DocumentKind.choices)
    version = models.PositiveIntegerField(_("version"))
    source = models.TextField(_("Typst source"))
    status = models.CharField(_("status"), max_length=9, choices=Status.choices, default=Status.DRAFT)
    note = models.CharField(_("what changed"), max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, related_name="+", null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)

    class Meta:
        verbose_name = _("document template")
        verbose_name_plural = _("document templates")
        ordering = ["kind", "-version"]
        constraints = [models.UniqueConstraint(fields=["kind", "version"], name="document_template_version")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} v{self.version}"


class CompressionDictionary(models.Model):
    """A zstd dictionary trained on one kind's documents; archived rows keep the version they used."""

    kind = models.PositiveSmallIntegerField(_("kind"), choices=DocumentKind.choices)
    version = models.PositiveIntegerField(_("version"))
    data = models.BinaryField(_("dictionary"))
    sample_count = models.PositiveIntegerField(_("samples"))
    mean_compressed_bytes = models.FloatField(
        _("mean compressed size"), help_text=_("On the held-out samples at training: the drift baseline.")
    )
    trained_at = models.DateTimeField(_("trained at"), auto_now_add=True)

    class Meta:
        verbose_name = _("compression dictionary")
        verbose_name_plural = _("compression dictionaries")
        ordering = ["kind", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "version"], name="compression_dictionary_version")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} dict v{self.version}"


class ArchivedDocument(models.Model):
    """An issued document: compressed canonical data, the pinned template, the data's SHA-256."""

    kind = models.PositiveSmallIntegerField(_("kind"), choices=DocumentKind.choices)
    customer = models.ForeignKey(Customer, related_name="+", on_delete=models.PROTECT, db_index=False)
    account = models.ForeignKey(
        Account, related_name="+", null=True, blank=True, on_delete=models.PROTECT, db_index=False
    )
    period = models.DateField(_("period"), null=True, blank=True, help_text=_("First day of the month."))
    template = models.ForeignKey(DocumentTemplate, related_name="+", on_delete=models.PROTECT, db_index=False)
    dictionary = models.ForeignKey(
        CompressionDictionary,
        related_name="+",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        db_index=False,
    )
    data = models.BinaryField(_("compressed data"))
    sha256 = models.BinaryField(_("SHA-256 of the data"), max_length=32)
    # The domain object it was issued for (a bill's id): composing the same bill twice archives it once.
    source_id = models.BigIntegerField(_("source object"), null=True, blank=True)
    created_at = models.DateTimeField(_("issued at"))

    class Meta:
        verbose_name = _("archived document")
        verbose_name_plural = _("archived documents")
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "source_id"],
                condition=Q(source_id__isnull=False),
                name="archived_document_source",
            )
        ]
        indexes = [
            models.Index(fields=["account", "period"], name="archived_doc_account_idx"),
            models.Index(fields=["customer", "created_at"], name="archived_doc_customer_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"


class ClientFolder(models.Model):
    """A folder of a client's documents by category."""

    customer = models.ForeignKey(Customer, related_name="document_folders", on_delete=models.CASCADE)
    category = models.CharField(_("category"), max_length=12, choices=FolderCategory.choices)

    class Meta:
        verbose_name = _("client folder")
        verbose_name_plural = _("client folders")
        constraints = [models.UniqueConstraint(fields=["customer", "category"], name="client_folder_unique")]

    def __str__(self) -> str:
        return f"{self.customer_id}: {self.get_category_display()}"


class AttachmentSource(models.TextChoices):
    """Where an attached file came from."""

    CUSTOMER = "customer", _("Uploaded by the customer")
    STAFF = "staff", _("Uploaded by staff")
    SIGNED = "signed", _("Signed document")
    LEGACY = "legacy", _("Imported from a legacy system")


class FolderRule(models.Model):
    """Which folder a document goes to: the first active rule (by priority) that matches wins."""

    priority = models.PositiveSmallIntegerField(_("priority"), default=100, help_text=_("Lower goes first."))
    document_kind = models.PositiveSmallIntegerField(
        _("document kind"), choices=DocumentKind.choices, null=True, blank=True, help_text=_("Empty: any.")
    )
    attachment_source = models.CharField(
        _("attachment source"),
        max_length=8,
        choices=AttachmentSource.choices,
        blank=True,
        help_text=_("Empty: any."),
    )
    title_contains = models.CharField(
        _("title contains"), max_length=100, blank=True, help_text=_("Case-insensitive; empty: any title.")
    )
    folder = models.CharField(_("folder"), max_length=12, choices=FolderCategory.choices)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("folder rule")
        verbose_name_plural = _("folder rules")
        ordering = ["priority", "id"]

    def __str__(self) -> str:
        return f"{self.priority}: → {self.get_folder_display()}"


class Attachment(models.Model):
    """A stored file (scan, upload, signed file) of a client, in one of the client's folders."""

    customer = models.ForeignKey(Customer, related_name="attachments", on_delete=models.PROTECT)
    account = models.ForeignKey(Account, related_name="+", null=True, blank=True, on_delete=models.PROTECT)
    folder = models.ForeignKey(ClientFolder, related_name="attachments", on_delete=models.PROTECT)
    title = models.CharField(_("title"), max_length=200)
    file = models.FileField(_("file"), upload_to="attachments/%Y/%m/")
    original_name = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("content type"), max_length=100)
    size = models.PositiveBigIntegerField(_("size, bytes"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    source = models.CharField(_("source"), max_length=8, choices=AttachmentSource.choices)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, related_name="+", null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(_("added at"), auto_now_add=True)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        indexes = [models.Index(fields=["customer", "created_at"], name="attachment_customer_idx")]

    def __str__(self) -> str:
        return self.title


class CompositionRun(models.Model):
    """The monthly composition of one branch's bills for a period, worked in chunks; resumable."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting to start")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    branch = models.ForeignKey(Branch, related_name="+", on_delete=models.PROTECT)
    period = models.DateField(_("period"), help_text=_("First day of the month."))
    status = models.CharField(_("status"), max_length=7, choices=Status.choices, default=Status.PENDING)
    total = models.PositiveIntegerField(_("bills"), default=0)
    composed = models.PositiveIntegerField(_("composed"), default=0)
    chunks_total = models.PositiveIntegerField(_("chunks"), default=0)
    chunks_done = models.PositiveIntegerField(_("chunks done"), default=0)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, related_name="+", null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        verbose_name = _("composition run")
        verbose_name_plural = _("composition runs")
        ordering = ["-period", "branch"]
        constraints = [models.UniqueConstraint(fields=["branch", "period"], name="composition_run_unique")]

    def __str__(self) -> str:
        return f"{self.branch_id} {self.period:%m.%Y} {self.status}"

    @property
    def percent_done(self) -> int:
        if not self.total:
            return 100 if self.status == self.Status.DONE else 0
        return min(100, self.composed * 100 // self.total)


class CompositionChunk(models.Model):
    """A list of bill ids of a run, composed and archived in one transaction."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    run = models.ForeignKey(CompositionRun, related_name="chunks", on_delete=models.CASCADE)
    index = models.PositiveIntegerField(_("index"))
    bill_ids = models.JSONField(_("bills"), default=list)
    status = models.CharField(_("status"), max_length=7, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        verbose_name = _("composition chunk")
        verbose_name_plural = _("composition chunks")
        ordering = ["run", "index"]
        constraints = [models.UniqueConstraint(fields=["run", "index"], name="composition_chunk_unique")]

    def __str__(self) -> str:
        return f"{self.run_id}#{self.index} {self.status}"


class PrintBatch(models.Model):
    """The print house's export of a run: PDF bundles in delivery-route order and a CSV manifest (a zip)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    run = models.ForeignKey(CompositionRun, related_name="print_batches", on_delete=models.CASCADE)
    status = models.CharField(_("status"), max_length=7, choices=Status.choices, default=Status.PENDING)
    file = models.FileField(_("file"), upload_to="print/", blank=True)
    printed = models.PositiveIntegerField(_("bills to print"), default=0)
    skipped_e_bills = models.PositiveIntegerField(_("skipped: e-bills"), default=0)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        verbose_name = _("print batch")
        verbose_name_plural = _("print batches")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.run} print #{self.pk}"
