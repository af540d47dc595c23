"""The starting rules a manager then tunes in admin (each one explains itself on the lead
page: "+20 booked a test drive"). Only added when there are no rules yet."""

from django.db import migrations

DEFAULT_RULES = [
    # (kind, parameters, points)
    ("testdrive_booked", {}, 20),
    ("finance_started", {}, 20),
    ("replied", {}, 10),
    ("source", {"source": "walk_in"}, 15),
    ("source", {"source": "referral"}, 15),
    ("source", {"source": "phone"}, 10),
    ("source", {"source": "website"}, 5),
    ("lead_type", {"type": "test_drive"}, 10),
    ("lead_type", {"type": "finance"}, 5),
    ("lead_type", {"type": "e_price"}, 5),
    ("status", {"status": "appointment"}, 10),
    ("status", {"status": "negotiation"}, 15),
    ("repeat_enquiry", {"days": 30}, 10),
    ("recent", {"days": 3}, 10),
    ("vehicle_views", {"days": 7, "min_views": 50}, 5),
    ("budget_fit", {"tolerance_percent": 10}, 5),
    ("no_contact", {"days": 14}, -15),
    ("no_contact", {"days": 30}, -15),
]


def seed(apps, schema_editor):
    ScoreRule = apps.get_model("scoring", "ScoreRule")
    if ScoreRule.objects.exists():
        return
    ScoreRule.objects.bulk_create(
        ScoreRule(kind=kind, parameters=parameters, points=points, position=10 * (i + 1))
        for i, (kind, parameters, points) in enumerate(DEFAULT_RULES)
    )


class Migration(migrations.Migration):
    dependencies = [("scoring", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
