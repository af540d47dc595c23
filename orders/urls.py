from django.urls import path

from . import views, views_quotes

app_name = "orders"

urlpatterns = [
    path("orders/buy/<int:vehicle_id>/", views.start, name="start"),
    path("orders/buy/<int:vehicle_id>/breakdown/", views.breakdown, name="breakdown"),
    path("orders/o/<str:token>/", views.track, name="track"),
    path("orders/o/<str:token>/finance/", views.finance_apply, name="finance"),
    path("orders/o/<str:token>/reserve/", views.reserve, name="reserve"),
    path("orders/o/<str:token>/accept/", views.accept_version, name="accept"),
    path("orders/o/<str:token>/delivery/", views.change_delivery, name="delivery"),
    path("orders/o/<str:token>/cancel/", views.cancel, name="cancel"),
    path("orders/o/<str:token>/contract/", views.contract, name="contract"),
    path("orders/o/<str:token>/contract.pdf", views.contract_pdf, name="contract-pdf"),
    path("orders/payments/test/<str:reference>/", views.test_checkout, name="test-checkout"),
    path("orders/payments/webhook/<str:provider>/", views.payment_webhook, name="webhook"),
    path("staff/orders/", views.desk, name="desk"),
    path("staff/orders/<int:pk>/", views.order_detail, name="detail"),
    path("staff/orders/<int:pk>/<slug:action>/", views.order_action, name="action"),
    path("staff/desking/", views_quotes.quote_list, name="quotes"),
    path("staff/desking/new/", views_quotes.quote_new, name="quote-new"),
    path("staff/desking/<int:pk>/", views_quotes.quote_detail, name="quote"),
    path("staff/desking/<int:pk>/print/", views_quotes.quote_print, name="quote-print"),
    path("staff/desking/<int:pk>/send/", views_quotes.quote_send, name="quote-send"),
    path("staff/desking/<int:pk>/accept/", views_quotes.quote_accept, name="quote-accept"),
]
