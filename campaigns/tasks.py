from celery import shared_task


@shared_task(name="campaigns.dispatch")
def campaign_dispatch_task(campaign_id: int) -> int:
    from .services import campaign_dispatch

    return campaign_dispatch(campaign_id=campaign_id)


@shared_task(name="campaigns.dispatch_due")
def campaigns_dispatch_due_task() -> int:
    from .services import campaigns_dispatch_due

    return campaigns_dispatch_due()
