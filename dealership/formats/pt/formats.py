"""Portuguese (Portugal): Django's own formats, and the site's named ones
(dealership/formats/__init__.py)."""

DAY_HEADING_FORMAT = r"l, j \d\e F"  # Segunda-feira, 2 de Março
FULL_DATE_FORMAT = r"l, j \d\e F \d\e Y"  # Segunda-feira, 2 de Março de 2026
SHORT_DAY_FORMAT = "D, j M"  # Seg, 2 Mar
WEEKDAY_DATE_FORMAT = "D, j M Y"  # Seg, 2 Mar 2026
WEEKDAY_DATETIME_FORMAT = "D, j M Y, H:i"  # Seg, 2 Mar 2026, 14:30
