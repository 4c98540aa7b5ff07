from django.contrib.auth import views as auth_views
from django.urls import path

from baton.web import views

app_name = "web"

urlpatterns = [
    path("login/", auth_views.LoginView.as_view(template_name="web/login.html"), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", views.inbox, name="inbox"),
    path("presence", views.presence, name="presence"),
    path("c/<int:conversation_id>/", views.conversation, name="conversation"),
    path("c/<int:conversation_id>/reply", views.reply, name="reply"),
    path("c/<int:conversation_id>/<str:verb>", views.ownership, name="ownership"),
    path("c/<int:conversation_id>/messages/<int:message_id>/retry", views.retry, name="retry"),
    path("media/<int:message_id>", views.media, name="media"),
    path("healthz", views.healthz, name="healthz"),
]
