"""German: Django's own formats, and the site's named ones (dealership/formats/__init__.py)."""

DATETIME_FORMAT = "j. F Y, H:i"  # 2. März 2026, 14:30 (Django's has no comma)

DAY_HEADING_FORMAT = "l, j. F"  # Montag, 2. März
FULL_DATE_FORMAT = "l, j. F Y"  # Montag, 2. März 2026
SHORT_DAY_FORMAT = "D, j.n."  # Mo, 2.3.
WEEKDAY_DATE_FORMAT = "D, j. F Y"  # Mo, 2. März 2026
WEEKDAY_DATETIME_FORMAT = "D, j. F Y, H:i"  # Mo, 2. März 2026, 14:30
