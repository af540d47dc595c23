from celery import shared_task


@shared_task(name="aftersales.service_reminders")
def service_reminders() -> dict:
    from .services import reminders_run

    return reminders_run()


@shared_task(name="aftersales.escalate_complaints")
def escalate_complaints() -> int:
    from .services import complaints_escalate_overdue

    return complaints_escalate_overdue()


@shared_task(name="aftersales.recompute_plan")
def recompute_plan(plan_id: int) -> int:
    from .services import owned_vehicles_recompute_for_plan

    return owned_vehicles_recompute_for_plan(plan_id=plan_id)
