"""Finnish: Django's own formats, and the site's named ones (dealership/formats/__init__.py).
Month names in the partitive ("E": maaliskuuta), times with a dot and "klo"."""

DAY_HEADING_FORMAT = "l j. E"  # maanantai 2. maaliskuuta
FULL_DATE_FORMAT = "l j. E Y"  # maanantai 2. maaliskuuta 2026
SHORT_DAY_FORMAT = "D j.n."  # ma 2.3.
WEEKDAY_DATE_FORMAT = "D j.n.Y"  # ma 2.3.2026
WEEKDAY_DATETIME_FORMAT = r"D j.n.Y \k\l\o G.i"  # ma 2.3.2026 klo 14.30
