"""The console's integration pages, mounted at /console/integration/ (namespace "console_integration")."""

from django.urls import path

from abonent.console import views_integration as views
from abonent.console import views_integration_profiles as profiles

urlpatterns = [
    path("", views.index, name="index"),
    path("runs/<int:import_run_id>/", views.run, name="run"),
    path("runs/<int:import_run_id>/progress/", views.progress, name="progress"),
    path("runs/<int:import_run_id>/quarantine/", views.quarantine, name="quarantine"),
    path("quarantine/<int:quarantined_id>/", views.quarantined_row, name="row"),
    path("duplicates/", views.duplicates, name="duplicates"),
    path("duplicates/<int:duplicate_id>/decide/", views.decide, name="decide"),
    path("merges/<int:merge_id>/unmerge/", views.unmerge, name="unmerge"),
    path("profiles/", profiles.profile_list, name="profiles"),
    path("profiles/new/", profiles.profile_new, name="profile_new"),
    path("profiles/<int:profile_id>/edit/", profiles.profile_edit, name="profile_edit"),
    path("profiles/draft/<str:token>/", profiles.profile_builder, name="profile_builder"),
]
