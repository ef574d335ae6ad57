"""The cabinet's readings pages, mounted at /cabinet/readings/ (namespace "readings").

The voice robot's webhook is an API operation: POST /api/v1/metering/ivr (see api/routers/metering.py).
"""

from django.urls import path

from abonent.portal.views import readings

urlpatterns = [
    path("", readings.index, name="index"),
    path("<int:account_id>/", readings.submit, name="submit"),
    path("meters/<int:meter_id>/", readings.meter, name="meter"),
]
