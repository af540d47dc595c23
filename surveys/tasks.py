from celery import shared_task


@shared_task(name="surveys.invite_due")
def invite_due() -> dict:
    from .services import survey_invitations_create_due

    return survey_invitations_create_due()


@shared_task(name="surveys.send_reminders")
def send_reminders() -> int:
    from .services import survey_reminders_send

    return survey_reminders_send()


@shared_task(name="surveys.staff_pulse")
def staff_pulse() -> dict:
    from .services import staff_pulse_invite_due

    return staff_pulse_invite_due()
