"""dealership.core.urls.reverse_token: exactly reverse()'s answer, in every language."""

import pytest
from django.conf import settings
from django.core import signing
from django.urls import reverse
from django.utils import translation

from dealership.core.urls import reverse_token


@pytest.mark.parametrize("language", [code for code, _name in settings.LANGUAGES])
@pytest.mark.parametrize(
    "name", ["messaging:preferences", "messaging:unsubscribe-one-click", "campaigns:click"]
)
def test_reverse_token_is_reverse_in_every_language(name, language):
    tokens = [
        signing.dumps({"c": "email", "a": "anna.müller+x@example.com"}, compress=True),
        signing.dumps(123456789, salt="s", compress=True),
        signing.dumps("x" * 300, compress=True),  # compressed: a leading "."
    ]
    with translation.override(language):
        for token in tokens:
            assert reverse_token(name, token) == reverse(name, kwargs={"token": token})
