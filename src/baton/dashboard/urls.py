"""The live board's pages (built on the board branch); the reports mount ``report_urls``."""

from django.urls import path  # noqa: F401

app_name = "dashboard"

urlpatterns: list = []
