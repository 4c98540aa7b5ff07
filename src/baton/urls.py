from django.contrib import admin
from django.urls import include, path

from baton.api.api import api
from baton.dashboard.views import metrics
from baton.whatsapp.views import whatsapp_webhook

urlpatterns = [
    path("webhooks/whatsapp", whatsapp_webhook, name="whatsapp-webhook"),
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
    path("routing/", include("baton.routing.urls")),
    path("reports/", include("baton.dashboard.report_urls")),
    path("dashboard/", include("baton.dashboard.urls")),
    path("metrics", metrics, name="metrics"),
    path("sla/", include("baton.sla.urls")),
    path("assist/", include("baton.assist.urls")),
    path("bots/", include("baton.bots.urls")),
    path("", include("baton.web.urls")),
    # Media is only served to those who may see the conversation (see web.views.media);
    # nothing serves MEDIA_ROOT directly, not even with DEBUG.
]

# Refusals and missing pages in the app's look (htmx fragments keep Django's short answer).
handler403 = "baton.web.views.permission_denied"
handler404 = "baton.web.views.page_not_found"
