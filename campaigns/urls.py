from django.urls import path

from . import views

app_name = "campaigns"

urlpatterns = [
    path("staff/campaigns/", views.campaign_list, name="campaign_list"),
    path("staff/campaigns/new/", views.campaign_edit, name="campaign_new"),
    path("staff/campaigns/<int:pk>/", views.campaign_detail, name="campaign_detail"),
    path("staff/campaigns/<int:pk>/edit/", views.campaign_edit, name="campaign_edit"),
    path("staff/campaigns/<int:pk>/progress/", views.campaign_progress, name="campaign_progress"),
    path("staff/campaigns/<int:pk>/<slug:action>/", views.campaign_action, name="campaign_action"),
    path("staff/campaigns/segments/", views.segment_list, name="segment_list"),
    path("staff/campaigns/segments/new/", views.segment_edit, name="segment_new"),
    path("staff/campaigns/segments/builder/", views.segment_builder, name="segment_builder"),
    path("staff/campaigns/segments/count/", views.segment_count, name="segment_count"),
    path("staff/campaigns/segments/<int:pk>/", views.segment_edit, name="segment_edit"),
    path(
        "staff/campaigns/segments/<int:pk>/preview/", views.segment_preview, name="segment_preview"
    ),
    path(
        "staff/campaigns/segments/<int:pk>/export.csv",
        views.segment_export,
        name="segment_export",
    ),
    path(
        "staff/campaigns/upgrades/customer/<int:customer_pk>/",
        views.customer_upgrade,
        name="customer_upgrade",
    ),
    path("staff/campaigns/group-message/", views.group_message, name="group_message"),
    path("c/<str:token>/", views.click, name="click"),
]
