from celery import shared_task


@shared_task(name="ops.heartbeat")
def heartbeat(name: str = "beat") -> int:
    from .services import heartbeat_record

    return heartbeat_record(name=name).runs
