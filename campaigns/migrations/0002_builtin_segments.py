"""The built-in segments of the equity-mining and service-to-sales plays."""

from django.db import migrations

BUILTIN = [
    (
        "Owners: car 4+ years or 80,000+ km",
        {
            "op": "or",
            "children": [
                {"type": "owner_vehicle_age", "params": {"years": 4}},
                {"type": "owner_mileage", "params": {"km": 80000}},
            ],
        },
    ),
    (
        "Finance ends within 6 months",
        {"op": "and", "children": [{"type": "finance_ending", "params": {"months": 6}}]},
    ),
    (
        "Service visit this week, car 5+ years",
        {
            "op": "and",
            "children": [
                {"type": "service_visit_within", "params": {"days": 7}},
                {"type": "owner_vehicle_age", "params": {"years": 5}},
            ],
        },
    ),
]


def create(apps, schema_editor):
    Segment = apps.get_model("campaigns", "Segment")
    for name, conditions in BUILTIN:
        Segment.objects.get_or_create(
            name=name, builtin=True, defaults={"conditions": conditions}
        )


def remove(apps, schema_editor):
    apps.get_model("campaigns", "Segment").objects.filter(builtin=True).delete()


class Migration(migrations.Migration):
    dependencies = [("campaigns", "0001_segments_campaigns_recipients")]

    operations = [migrations.RunPython(create, remove)]
