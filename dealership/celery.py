"""The Celery app. Tasks are thin: they load rows by id and call a service (ARCHITECTURE.md)."""

import functools
import os

from celery import Celery
from celery.contrib.django.task import DjangoTask
from django.db import transaction

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dealership.settings")


class ShowroomTask(DjangoTask):
    """`delay_on_commit` that never turns a saved change into an error page.

    With the broker (Redis) down, publishing fails after the transaction has committed; the
    failure is logged and the request goes on. Nothing is lost: the row the task would have
    loaded is in the database, and the periodic job that polls for due work picks it up
    (ARCHITECTURE.md: scheduled work is a timestamp column a periodic job polls).
    """

    def delay_on_commit(self, *args, **kwargs) -> None:
        transaction.on_commit(functools.partial(self.delay, *args, **kwargs), robust=True)

    def apply_async_on_commit(self, *args, **kwargs) -> None:
        transaction.on_commit(functools.partial(self.apply_async, *args, **kwargs), robust=True)


app = Celery("dealership", task_cls=ShowroomTask)
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
