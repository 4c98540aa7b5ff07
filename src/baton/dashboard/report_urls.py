"""Reports, mounted at /reports/: the page and one CSV per table."""

from django.urls import path

from baton.dashboard import report_views

app_name = "reports"

urlpatterns = [
    path("", report_views.reports_page, name="page"),
    path("<slug:table>.csv", report_views.report_csv, name="csv"),
]
