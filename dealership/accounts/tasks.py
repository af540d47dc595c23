from celery import shared_task


@shared_task(name="accounts.tax_rates_apply")
def tax_rates_apply() -> int:
    from .services import tax_rates_apply as apply

    return apply()
