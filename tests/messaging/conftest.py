import copy
from pathlib import Path

import pytest
from django.core.cache import cache

from dealership.messaging.backends import LocmemSmsBackend

TEST_TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


@pytest.fixture(autouse=True)
def message_templates(settings):
    """tests/templates/messages/tests.hello/ ships a template the way an app would."""
    templates = copy.deepcopy(settings.TEMPLATES)
    templates[0]["DIRS"] = [*templates[0]["DIRS"], TEST_TEMPLATES]
    settings.TEMPLATES = templates


@pytest.fixture(autouse=True)
def sms_outbox():
    LocmemSmsBackend.outbox = []
    cache.clear()
    yield LocmemSmsBackend.outbox
    LocmemSmsBackend.outbox = []
