from django.urls import path

from baton.assist import views

app_name = "assist"

urlpatterns = [
    path("", views.report, name="report"),
    path("conversations/<int:conversation_id>/intent", views.correct_intent, name="intent"),
    path("conversations/<int:conversation_id>/suggestions", views.suggestions, name="suggestions"),
    path(
        "conversations/<int:conversation_id>/suggestions/used",
        views.suggestion_used,
        name="suggestion-used",
    ),
    path("conversations/<int:conversation_id>/draft", views.draft, name="draft"),
]
