import pytest
from django.core.exceptions import ValidationError

from dealership.accounts.roles import Role
from dealership.messaging.models import Channel, MessageTemplate
from dealership.messaging.rendering import render_message
from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_shipped_files_render_with_only_the_given_context():
    rendered = render_message(
        key="tests.hello", channel=Channel.EMAIL, language="", context={"name": "<Kim>"}
    )

    assert rendered.subject == "Hello <Kim>"
    assert rendered.body == "Dear <Kim>,\nyour car is ready.\n"
    assert rendered.body_html == "<p>Dear &lt;Kim&gt;, your car is ready.</p>\n"


def test_a_managers_override_wins_in_its_language_then_for_all_languages():
    MessageTemplate.objects.create(
        key="tests.hello", channel=Channel.SMS, language="", body="All: {{ name }}"
    )
    MessageTemplate.objects.create(
        key="tests.hello", channel=Channel.SMS, language="de", body="Hallo {{ name }}"
    )

    german = render_message(
        key="tests.hello", channel=Channel.SMS, language="de", context={"name": "Kim"}
    )
    other = render_message(
        key="tests.hello", channel=Channel.SMS, language="pt", context={"name": "Kim"}
    )

    assert german.body == "Hallo Kim\n"
    assert other.body == "All: Kim\n"


def test_a_template_error_is_caught_when_saving_with_a_clear_message():
    template = MessageTemplate(
        key="tests.hello",
        channel=Channel.EMAIL,
        subject="Hello {{ name|shout }}",
        body="{% if %}",
        sample_context={"name": "Kim"},
    )

    with pytest.raises(ValidationError) as excinfo:
        template.full_clean()

    errors = excinfo.value.message_dict
    assert errors["subject"] == ["Template error: Invalid filter: 'shout'"]
    assert errors["body"] == ["Template error: Unexpected end of expression in if tag."]
    assert MessageTemplate.objects.count() == 0


def test_admin_refuses_a_broken_template_and_shows_a_preview_of_a_good_one(client):
    client.force_login(UserFactory(role=Role.ADMINISTRATOR, is_superuser=True))
    data = {
        "key": "tests.hello",
        "channel": "email",
        "language": "",
        "subject": "Hello {{ name }}",
        "body": "{% for %}",
        "body_html": "",
        "sample_context": '{"name": "Kim"}',
    }

    broken = client.post("/admin/messaging/messagetemplate/add/", data)
    good = client.post(
        "/admin/messaging/messagetemplate/add/", {**data, "body": "Dear {{ name|upper }}"}
    )
    template = MessageTemplate.objects.get()
    change_page = client.get(f"/admin/messaging/messagetemplate/{template.pk}/change/")

    assert broken.status_code == 200
    assert (
        "Template error: &#x27;for&#x27; statements should have at least four words"
        in broken.content.decode()
    )
    assert good.status_code == 302
    assert "<strong>Hello Kim</strong><pre>Dear KIM\n</pre>" in change_page.content.decode()


def test_an_sms_template_has_no_subject():
    template = MessageTemplate(key="x.y", channel=Channel.SMS, subject="Hi", body="Hello")

    with pytest.raises(ValidationError) as excinfo:
        template.full_clean()

    assert excinfo.value.message_dict == {
        "subject": ["An SMS has only a body; leave subject and HTML empty."]
    }
