from django.contrib.sitemaps.views import sitemap
from django.urls import path

from . import feed_views, transfer_views, views
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
    path("staff/inventory/transfers/", transfer_views.transfer_list, name="transfers"),
    path("staff/inventory/transfers/new/", transfer_views.transfer_new, name="transfer-new"),
    path("staff/inventory/transfers/<int:pk>/", transfer_views.transfer_detail, name="transfer"),
    path(
        "staff/inventory/transfers/<int:pk>/approve/",
        transfer_views.transfer_approve,
        name="transfer-approve",
    ),
    path(
        "staff/inventory/transfers/<int:pk>/reject/",
        transfer_views.transfer_reject,
        name="transfer-reject",
    ),
    path(
        "staff/inventory/transfers/<int:pk>/dispatch/",
        transfer_views.transfer_dispatch,
        name="transfer-dispatch",
    ),
    path(
        "staff/inventory/transfers/<int:pk>/arrive/",
        transfer_views.transfer_arrive,
        name="transfer-arrive",
    ),
    path(
        "staff/inventory/transfers/<int:pk>/cancel/",
        transfer_views.transfer_cancel,
        name="transfer-cancel",
    ),
    path("feeds/<str:token>.<str:ext>", feed_views.feed_download, name="feed"),
    path("sitemap.xml", sitemap, {"sitemaps": SITEMAPS}, name="sitemap"),
]
