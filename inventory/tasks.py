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


@shared_task(name="inventory.facet_index_refresh")
def facet_index_refresh(force: bool = False) -> int:
    """Build the showroom's facet index for the current inventory version unless it is built
    (``force``: rebuild anyway; the periodic run keeps location and feature names fresh).
    Returns the number of cars indexed, or -1 when there was nothing to do."""
    from .facet_index import facet_index_refresh as refresh

    return refresh(force=force)


@shared_task(name="inventory.views_flush")
def views_flush() -> int:
    """Every 5 minutes: store the vehicle page view counters (safe to run twice)."""
    from .page_views import vehicle_views_flush

    return vehicle_views_flush()


@shared_task(name="inventory.feeds_refresh")
def feeds_refresh() -> int:
    """Every minute: rebuild the marketplace feeds whose inventory changed (the debounce: a
    burst of changes is one rebuild, and no request ever builds a feed)."""
    from .syndication import feeds_refresh as refresh

    return refresh()
