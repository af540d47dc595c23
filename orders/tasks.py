from celery import shared_task


@shared_task(name="orders.expire_reservations")
def expire_reservations() -> int:
    from .services import orders_expire_reservations

    return orders_expire_reservations()


@shared_task(name="orders.send_reminders")
def send_reminders() -> int:
    from .services import orders_send_reminders

    return orders_send_reminders()


@shared_task(name="orders.expire_quotes")
def expire_quotes() -> int:
    from .services import quotes_expire

    return quotes_expire()
