"""The cabinet's documents, mounted at /cabinet/documents/ (namespace "documents")."""

from django.urls import path

from abonent.portal.views import documents

urlpatterns = [
    path("", documents.index, name="index"),
    path("<int:document_id>.pdf", documents.document_file, {"fmt": "pdf"}, name="pdf"),
    path("<int:document_id>.png", documents.document_file, {"fmt": "png"}, name="png"),
    path("bills/<int:bill_id>.pdf", documents.bill_file, name="bill_pdf"),
    path("files/<int:attachment_id>/", documents.attachment_file, name="attachment"),
]
