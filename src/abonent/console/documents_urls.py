"""The console's documents, mounted at /console/documents/ (namespace "console_documents")."""

from django.urls import path

from abonent.console import views_documents as views

urlpatterns = [
    path("accounts/<int:account_id>/", views.client, name="client"),
    path("<int:document_id>.pdf", views.document_file, {"fmt": "pdf"}, name="pdf"),
    path("<int:document_id>.png", views.document_file, {"fmt": "png"}, name="png"),
    path("files/<int:attachment_id>/", views.attachment_file, name="attachment"),
    path("templates/", views.templates, name="templates"),
    path("templates/<int:template_id>/", views.template_detail, name="template"),
    path("templates/<int:template_id>/publish/", views.template_publish, name="template_publish"),
    path("runs/", views.runs, name="runs"),
    path("runs/<int:run_id>/resume/", views.run_resume, name="run_resume"),
    path("runs/<int:run_id>/print/", views.run_print, name="run_print"),
    path("print/<int:batch_id>/", views.print_batch_file, name="print_batch"),
]
