from django.contrib.sitemaps.views import sitemap
from django.urls import path

from . import views
from .sitemaps import SITEMAPS

app_name = "inventory"

urlpatterns = [
    path("vehicles/", views.vehicle_search, name="search"),
    path("vehicles/compare/", views.compare, name="compare"),
    path("vehicles/favourites/", views.favourites, name="favourites"),
    path("vehicles/saved-searches/", views.saved_search_new, name="saved-search-new"),
    path(
        "vehicles/saved-searches/<str:token>/",
        views.saved_search_unsubscribe,
        name="saved-search-unsubscribe",
    ),
    path("vehicles/<slug:slug>/", views.vehicle_detail, name="vehicle"),
    path("vehicles/<slug:slug>/payment/", views.vehicle_payment, name="vehicle-payment"),
    path("sitemap.xml", sitemap, {"sitemaps": SITEMAPS}, name="sitemap"),
]
