from django.urls import path

from baton.sla import views

app_name = "sla"

urlpatterns = [
    path("", views.policy_list, name="policies"),
    path("new", views.policy_new, name="new"),
    path("preview", views.preview_new, name="preview"),
    path("<int:policy_id>/", views.policy_edit, name="edit"),
    path("<int:policy_id>/preview", views.preview_edit, name="edit-preview"),
    path("<int:policy_id>/move/<str:direction>", views.policy_move, name="move"),
    path("<int:policy_id>/toggle", views.policy_toggle, name="toggle"),
    path("<int:policy_id>/delete", views.policy_delete, name="delete"),
]
