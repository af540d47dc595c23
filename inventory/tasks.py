from celery import shared_task


@shared_task(name="inventory.process_vehicle_photo")
def process_vehicle_photo(photo_id: int) -> None:
    from .photos import photo_process

    photo_process(photo_id=photo_id)


@shared_task(name="inventory.saved_search_alerts")
def saved_search_alerts() -> int:
    """Nightly: mail each saved search its new matches and price drops (once a day at most)."""
    from .saved_searches import saved_searches_alert_all

    return saved_searches_alert_all()
