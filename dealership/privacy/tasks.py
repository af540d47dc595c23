from celery import shared_task


@shared_task(name="privacy.retention")
def retention() -> int:
    from .services import privacy_retention_run

    return privacy_retention_run()
