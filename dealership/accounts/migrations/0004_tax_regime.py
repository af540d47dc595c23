from django.db import migrations, models

# Where a consumer must be shown the final price with VAT included (EU and EEA members,
# plus the UK and Switzerland, whose rules ask the same).
VAT_INCLUDED_COUNTRIES = {
    "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU", "IE",
    "IT", "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK",
    "IS", "LI", "NO", "GB", "CH",
}  # fmt: skip


def regime_by_country(apps, schema_editor):
    """Existing locations get the regime their country's law asks for: EU prices include VAT."""
    Location = apps.get_model("accounts", "Location")
    Location.objects.filter(country__in=VAT_INCLUDED_COUNTRIES).update(tax_regime="inclusive")


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_audit_event"),
    ]

    operations = [
        migrations.AddField(
            model_name="location",
            name="tax_regime",
            field=models.CharField(
                choices=[
                    ("inclusive", "VAT included in every price (EU)"),
                    ("exclusive", "Sales tax added on top (US)"),
                ],
                default="exclusive",
                help_text=(
                    "How the law where this location sells wants prices shown: with VAT "
                    "included (the EU), or with sales tax added on top (the US)."
                ),
                max_length=10,
                verbose_name="tax regime",
            ),
            preserve_default=False,
        ),
        migrations.RunPython(regime_by_country, migrations.RunPython.noop),
    ]
