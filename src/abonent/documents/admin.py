"""Administration of documents: templates (published ones read-only), folder rules, dictionaries."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from abonent.documents.models import (
    CompositionRun,
    CompressionDictionary,
    DocumentTemplate,
    FolderRule,
    PrintBatch,
)


@admin.register(DocumentTemplate)
class DocumentTemplateAdmin(admin.ModelAdmin):
    list_display = ["kind", "version", "status", "note", "created_at", "published_at"]
    list_filter = ["kind", "status"]
    readonly_fields = ["status", "published_at", "created_by", "created_at"]

    def has_change_permission(self, request: HttpRequest, obj: DocumentTemplate | None = None) -> bool:
        # A published version is immutable; new versions are edited and previewed in the console.
        if obj is not None and obj.status == DocumentTemplate.Status.PUBLISHED:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: DocumentTemplate | None = None) -> bool:
        return obj is None or obj.status == DocumentTemplate.Status.DRAFT


@admin.register(FolderRule)
class FolderRuleAdmin(admin.ModelAdmin):
    list_display = ["priority", "document_kind", "attachment_source", "title_contains", "folder", "is_active"]
    list_editable = ["folder", "is_active"]
    list_filter = ["folder", "is_active"]


@admin.register(CompressionDictionary)
class CompressionDictionaryAdmin(admin.ModelAdmin):
    list_display = ["kind", "version", "sample_count", "mean_compressed_bytes", "trained_at"]
    list_filter = ["kind"]
    exclude = ["data"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # trained by `manage.py train_document_dictionaries`

    def has_change_permission(self, request: HttpRequest, obj: CompressionDictionary | None = None) -> bool:
        return False


@admin.register(CompositionRun)
class CompositionRunAdmin(admin.ModelAdmin):
    list_display = ["branch", "period", "status", "composed", "total", "chunks_done", "chunks_total"]
    list_filter = ["status", "branch"]

    def has_change_permission(self, request: HttpRequest, obj: CompositionRun | None = None) -> bool:
        return False


@admin.register(PrintBatch)
class PrintBatchAdmin(admin.ModelAdmin):
    list_display = ["run", "status", "printed", "skipped_e_bills", "created_at"]

    def has_change_permission(self, request: HttpRequest, obj: PrintBatch | None = None) -> bool:
        return False
