from django.urls import path

from baton.bots import views

app_name = "bots"

urlpatterns = [
    path("", views.flow_list, name="flows"),
    path("new", views.flow_new, name="new"),
    path("test-run", views.trial, name="trial"),
    path("<int:flow_id>/", views.flow_edit, name="edit"),
    path("<int:flow_id>/toggle", views.flow_toggle, name="toggle"),
    path("<int:flow_id>/delete", views.flow_delete, name="delete"),
]
