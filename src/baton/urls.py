from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.static import serve

from baton.api.api import api
from baton.whatsapp.views import whatsapp_webhook

urlpatterns = [
    path("webhooks/whatsapp", whatsapp_webhook, name="whatsapp-webhook"),
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
    path("routing/", include("baton.routing.urls")),
    path("", include("baton.web.urls")),
    # Media is only served to logged-in users (see web.views.media).
]

# Refusals and missing pages in the app's look (htmx fragments keep Django's short answer).
handler403 = "baton.web.views.permission_denied"
handler404 = "baton.web.views.page_not_found"

if settings.DEBUG:
    urlpatterns.append(
        path("debug-media/<path:path>", serve, {"document_root": settings.MEDIA_ROOT})
    )
