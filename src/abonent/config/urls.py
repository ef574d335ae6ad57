from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.i18n import JavaScriptCatalog

from abonent.api.urls import api
from abonent.core import views as core_views
from abonent.portal import payments_urls
from abonent.portal.views import auth as auth_views
from abonent.portal.views import home as home_views

urlpatterns = [
    path("", home_views.home, name="home"),
    path("login/", auth_views.SignInView.as_view(), name="login"),
    path("logout/", auth_views.sign_out, name="logout"),
    path("", include(("abonent.portal.identity_urls", "identity"))),
    path("cabinet/", include("abonent.portal.urls")),
    path("cabinet/readings/", include(("abonent.portal.metering_urls", "readings"))),
    path("cabinet/bills/", include(("abonent.portal.bills_urls", "bills"))),
    path("cabinet/documents/", include(("abonent.portal.documents_urls", "documents"))),
    path("console/identity/", include(("abonent.console.identity_urls", "console_identity"))),
    path("console/metering/", include(("abonent.console.metering_urls", "console_metering"))),
    path("console/billing/", include(("abonent.console.billing_urls", "console_billing"))),
    path("console/integration/", include(("abonent.console.integration_urls", "console_integration"))),
    path("console/documents/", include(("abonent.console.documents_urls", "console_documents"))),
    path("payments/sandbox/", include("abonent.payments.urls")),
    path("cabinet/payments/", include(("abonent.portal.payments_urls", "payments"))),
    path("pay/", include((payments_urls.public_urlpatterns, "paylink"))),
    path("console/payments/", include(("abonent.console.payments_urls", "console_payments"))),
    path("console/", include("abonent.console.urls")),
    path("api/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("healthz", core_views.health, name="health"),
    path("admin/", admin.site.urls),
]

handler400 = "abonent.core.views.bad_request"
handler403 = "abonent.core.views.permission_denied"
handler404 = "abonent.core.views.page_not_found"
handler500 = "abonent.core.views.server_error"

admin.site.site_header = settings.ABONENT_PRODUCT_NAME
admin.site.site_title = settings.ABONENT_PRODUCT_NAME
