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
        self.apply_async_on_commit(args, kwargs)

    def apply_async_on_commit(self, *args, **kwargs) -> None:
        publish = functools.partial(self.apply_async, *args, **kwargs)

        def publish_after_commit():
            publish()

        # Named after the task: Django logs a failed robust callback by its __qualname__.
        publish_after_commit.__qualname__ = f"{self.name}.apply_async"
        transaction.on_commit(publish_after_commit, robust=True)


app = Celery("dealership", task_cls=ShowroomTask)
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
