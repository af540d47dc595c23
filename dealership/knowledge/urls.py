from django.urls import path

from . import views

app_name = "knowledge"

urlpatterns = [
    path("help/", views.help_index, name="index"),
    path("help/suggest/", views.suggest, name="suggest"),
    path("help/<slug:slug>/", views.article_detail, name="article"),
    path("staff/help/", views.staff_index, name="staff-index"),
    path("staff/help/<slug:slug>/", views.staff_article, name="staff-article"),
]
