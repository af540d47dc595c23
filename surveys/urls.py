from django.urls import path

from . import views

app_name = "surveys"

urlpatterns = [
    path("s/<str:token>/", views.answer_page, name="answer"),
    path("staff/surveys/", views.results, name="results"),
    path("staff/surveys/export.csv", views.results_csv, name="results_csv"),
]
