from django.urls import path

from . import views

app_name = "reports"

urlpatterns = [
    path("", views.panel, name="index"),
    path("<slug:name>/", views.panel, name="panel"),
]
