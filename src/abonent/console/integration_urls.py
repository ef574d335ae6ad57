"""The console's integration pages, mounted at /console/integration/ (namespace "console_integration")."""

from django.urls import path

from abonent.console import views_integration as views

urlpatterns = [
    path("", views.index, name="index"),
    path("runs/<int:import_run_id>/", views.run, name="run"),
    path("runs/<int:import_run_id>/progress/", views.progress, name="progress"),
    path("runs/<int:import_run_id>/quarantine/", views.quarantine, name="quarantine"),
    path("quarantine/<int:quarantined_id>/", views.quarantined_row, name="row"),
    path("duplicates/", views.duplicates, name="duplicates"),
    path("duplicates/<int:duplicate_id>/decide/", views.decide, name="decide"),
    path("merges/<int:merge_id>/unmerge/", views.unmerge, name="unmerge"),
]
