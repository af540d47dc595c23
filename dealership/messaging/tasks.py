"""Celery only wakes the sender; the outbox rows are the truth (see services.py)."""

from celery import shared_task


@shared_task(name="messaging.send")
def message_send_task(message_id: int) -> bool:
    from .services import message_send

    return message_send(message_id=message_id)


@shared_task(name="messaging.flush")
def messages_flush_task() -> int:
    """Periodic: send everything due (scheduled, retries, the end of quiet hours).

    Only one beat should run, but two flushes at once are harmless: each claims rows with
    SKIP LOCKED and marks them in the same transaction."""
    from .services import messages_flush

    return messages_flush()
