import logging

from celery import shared_task

logger = logging.getLogger(__name__)


@shared_task(name="conversations.attach_inbound_sms")
def attach_inbound_sms() -> dict:
    from .services import inbound_sms_attach_pending

    return inbound_sms_attach_pending()


def attach_inbound_sms_soon() -> None:
    """messaging's hook (settings.MESSAGING_INBOUND_SMS_HOOK), called when a new inbound SMS
    is committed: wake the job now instead of at its next beat. A broker outage only delays
    it to the beat."""
    from kombu.exceptions import OperationalError

    try:
        attach_inbound_sms.delay()
    except OperationalError:
        logger.warning("broker unavailable; inbound SMS waits for the periodic attach")


@shared_task(name="conversations.process_inbound_email")
def process_inbound_email(inbound_id: int) -> str:
    """Parse and attach (or refuse) one inbound email; a redelivered task is a no-op."""
    from .email_inbound import inbound_email_process

    inbound = inbound_email_process(inbound_id=inbound_id)
    return inbound.status if inbound is not None else "skipped"


@shared_task(name="conversations.process_inbound_emails")
def process_inbound_emails() -> int:
    from .email_inbound import inbound_emails_process_pending

    return inbound_emails_process_pending()


@shared_task(name="conversations.chat_timeouts")
def chat_timeouts() -> int:
    """Waiting chats nobody accepted in time go offline (idempotent)."""
    from .chat import chat_timeouts_run

    return chat_timeouts_run()


@shared_task(name="conversations.chat_purge")
def chat_purge() -> int:
    """Anonymous chats older than a month are deleted."""
    from .chat import chat_anonymous_purge

    return chat_anonymous_purge()
