from django.urls import path

from baton.routing import views

app_name = "routing"

urlpatterns = [
    path("", views.rule_list, name="rules"),
    path("new", views.rule_new, name="new"),
    path("dry-run", views.dry_run, name="dry-run"),
    path("<int:rule_id>/", views.rule_edit, name="edit"),
    path("<int:rule_id>/move/<str:direction>", views.rule_move, name="move"),
    path("<int:rule_id>/toggle", views.rule_toggle, name="toggle"),
    path("<int:rule_id>/delete", views.rule_delete, name="delete"),
]
