from celery import shared_task


@shared_task(name="testdrives.flag_unavailable_vehicles")
def flag_unavailable_vehicles() -> int:
    from .services import bookings_flag_unavailable_vehicles

    return bookings_flag_unavailable_vehicles()
