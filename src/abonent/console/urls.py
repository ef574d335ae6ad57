from django.urls import path

from abonent.console import styleguide, views

app_name = "console"
urlpatterns = [
    path("", views.home, name="home"),
    path("accounts/<int:account_id>/", views.account_card, name="account"),
    path("styleguide/", styleguide.styleguide, name="styleguide"),
]
