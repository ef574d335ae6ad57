"""Source systems, import profiles, import runs with every row's outcome, and the sync subscriptions."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from abonent.core.models import Branch
from abonent.integration.fields import FileKind


class SourceSystem(models.Model):
    """A billing or legacy system that sends exports (and receives changes back)."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)
    branch = models.ForeignKey(
        Branch, verbose_name=_("branch of new accounts"), null=True, blank=True, on_delete=models.PROTECT
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("source system")
        verbose_name_plural = _("source systems")
        ordering = ["code"]
        permissions = [("administer_integration", _("Can run imports and review duplicates"))]

    def __str__(self) -> str:
        return self.name


class ImportProfile(models.Model):
    """How one kind of a source's file maps onto our fields; configuration a utility edits.

    `mapping` is JSON: {"<our field>": "<their column>"} or {"<our field>": {"column": "<their column or
    1-based index>", "transform": [...], "constant": "..."}}. Transformations run in order: "strip",
    "upper", "lower", "digits", "word:N" (the N-th word), "prefix:TEXT", {"replace": [from, to]},
    {"map": {their: ours}}, {"regex": "pattern with one group"}, {"default": "value"}.
    Fields left out are found by their usual column names.
    """

    source = models.ForeignKey(SourceSystem, related_name="profiles", on_delete=models.CASCADE)
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("file kind"), max_length=20, choices=FileKind.choices)
    mapping = models.JSONField(_("column mapping"), default=dict, blank=True)
    encoding = models.CharField(_("encoding"), max_length=20, blank=True, help_text=_("Empty: detect"))
    delimiter = models.CharField(_("delimiter"), max_length=1, blank=True, help_text=_("Empty: detect"))
    watch_folder = models.CharField(_("watched folder"), max_length=500, blank=True)
    file_pattern = models.CharField(_("file name pattern"), max_length=100, default="*.csv")
    schedule = models.CharField(
        _("schedule (cron)"), max_length=100, blank=True, help_text=_("e.g. */15 * * * *; empty: on demand")
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("import profile")
        verbose_name_plural = _("import profiles")
        constraints = [models.UniqueConstraint(fields=["source", "name"], name="import_profile_unique")]

    def __str__(self) -> str:
        return f"{self.source.code}: {self.name}"


class ImportRun(models.Model):
    """One import of one file (or one API batch): progress, cursor and the report."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        RUNNING = "running", _("Running")
        FINISHED = "finished", _("Finished")
        SUSPICIOUS = "suspicious", _("Finished, needs attention")
        FAILED = "failed", _("Failed")

    class Channel(models.TextChoices):
        UPLOAD = "upload", _("Uploaded in the console")
        FOLDER = "folder", _("Watched folder")
        API = "api", _("Integration API")
        COMMAND = "command", _("Command line")

    profile = models.ForeignKey(ImportProfile, related_name="runs", on_delete=models.PROTECT)
    kind = models.CharField(_("file kind"), max_length=20, choices=FileKind.choices)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.PENDING)
    file_path = models.CharField(_("file"), max_length=500)
    file_name = models.CharField(_("file name"), max_length=255)
    file_sha256 = models.CharField(max_length=64, db_index=True)
    encoding = models.CharField(_("encoding"), max_length=20, blank=True)
    delimiter = models.CharField(_("delimiter"), max_length=2, blank=True)
    total_rows = models.PositiveIntegerField(_("rows"), default=0)
    cursor = models.PositiveIntegerField(_("rows done"), default=0)
    applied = models.PositiveIntegerField(_("applied"), default=0)
    updated = models.PositiveIntegerField(_("updated"), default=0)
    unchanged = models.PositiveIntegerField(_("unchanged"), default=0)
    quarantined = models.PositiveIntegerField(_("quarantined"), default=0)
    rules = models.JSONField(_("cleaning rules applied"), default=dict, blank=True)
    samples = models.JSONField(_("samples"), default=dict, blank=True)
    error = models.TextField(_("error"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, related_name="+", null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    heartbeat_at = models.DateTimeField(_("last progress at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    seconds = models.FloatField(_("seconds of work"), default=0)
    # The initial-load mode (a first import into empty tables): the indexes the import does not read are
    # dropped while it writes and built once at its end. Their definitions are kept here, committed with
    # the drop, so a run resumed after a crash (or failing) builds them again.
    initial_load = models.BooleanField(_("initial load"), default=False)
    deferred_indexes = models.JSONField(default=list, blank=True)

    class Meta:
        verbose_name = _("import run")
        verbose_name_plural = _("import runs")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.file_name} ({self.get_status_display()})"

    @property
    def done(self) -> bool:
        return self.status in (self.Status.FINISHED, self.Status.SUSPICIOUS, self.Status.FAILED)

    @property
    def rows_per_second(self) -> float:
        return self.cursor / self.seconds if self.seconds else 0.0

    @property
    def eta_seconds(self) -> float | None:
        rate = self.rows_per_second
        if self.done or not rate or not self.total_rows:
            return None
        return max(0.0, (self.total_rows - self.cursor) / rate)

    @property
    def percent(self) -> int:
        return 100 if self.done else int(100 * self.cursor / self.total_rows) if self.total_rows else 0


class ImportChunk(models.Model):
    """The outcome of each row of one committed chunk: one letter per row, in file order.

    A = applied (created), U = updated, N = unchanged (or a duplicate of an earlier row), Q = quarantined.
    Written in the chunk's transaction with the run's cursor, so a crash never leaves half a chunk.
    """

    run = models.ForeignKey(ImportRun, related_name="chunks", on_delete=models.CASCADE)
    first_row = models.PositiveIntegerField()
    outcomes = models.TextField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["run", "first_row"], name="import_chunk_unique")]

    def __str__(self) -> str:
        return f"{self.run_id}@{self.first_row}"


class QuarantinedRow(models.Model):
    """A row that could not be applied: its original values, the cleaned ones and every reason."""

    class Status(models.TextChoices):
        OPEN = "open", _("In quarantine")
        APPLIED = "applied", _("Fixed and applied")
        DISMISSED = "dismissed", _("Dismissed")

    run = models.ForeignKey(ImportRun, related_name="quarantine", on_delete=models.CASCADE)
    row = models.PositiveIntegerField(_("row"))
    key = models.CharField(_("key"), max_length=200, blank=True)
    raw = models.JSONField(_("values in the file"), default=dict)
    data = models.JSONField(_("cleaned values"), default=dict)
    reasons = models.JSONField(_("reasons"), default=list)
    diff = models.JSONField(_("conflicting values"), default=dict, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, related_name="+", null=True, blank=True, on_delete=models.SET_NULL
    )

    class Meta:
        verbose_name = _("quarantined row")
        verbose_name_plural = _("quarantined rows")
        constraints = [models.UniqueConstraint(fields=["run", "row"], name="quarantined_row_unique")]
        indexes = [models.Index(fields=["status", "run"], name="quarantine_open_idx")]

    def __str__(self) -> str:
        return f"{self.run_id}:{self.row}"


class SourceRecord(models.Model):
    """What a source last told us about one of its records: the content hash and what it became here.

    Diffing a file against these (by key, in bulk) is what makes a re-run change nothing.
    """

    # Two records per imported row: no database-level foreign keys (a trigger check per record at
    # commit on PostgreSQL) and no index of their own (the unique key leads with the source; a run's
    # records are looked up only when it is deleted). Django's collector still cascades and nulls.
    source = models.ForeignKey(
        SourceSystem, related_name="+", on_delete=models.CASCADE, db_constraint=False, db_index=False
    )
    kind = models.CharField(max_length=12)  # customer, account, charge, payment, balance, reading
    key = models.CharField(max_length=200)
    row_hash = models.BigIntegerField()
    target_id = models.BigIntegerField(null=True)
    run = models.ForeignKey(
        ImportRun, related_name="+", null=True, on_delete=models.SET_NULL, db_constraint=False, db_index=False
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["source", "kind", "key"], name="source_record_unique")]

    def __str__(self) -> str:
        return f"{self.source_id}/{self.kind}/{self.key}"


class SyncSubscription(models.Model):
    """How far a source system has acknowledged the sync outbox (the cursor it pulls from)."""

    source = models.OneToOneField(SourceSystem, related_name="subscription", on_delete=models.CASCADE)
    acknowledged_id = models.BigIntegerField(_("acknowledged up to event"), default=0)
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    export_folder = models.CharField(_("export folder"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("sync subscription")
        verbose_name_plural = _("sync subscriptions")

    def __str__(self) -> str:
        return f"{self.source_id} ≥ {self.acknowledged_id}"
