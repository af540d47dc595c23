from django.urls import path

from . import views

app_name = "privacy"

urlpatterns = [
    path("customers/<int:pk>/export/", views.customer_export_page, name="customer_export"),
    path("customers/<int:pk>/export.json", views.customer_export_json, name="customer_export_json"),
    path("customers/<int:pk>/erase/", views.customer_erase_confirm, name="customer_erase"),
]
