"""English as our European readers read it: day before month, the month as a word, 24 hours.

Django's own ``en`` formats are American ("06/10/2026 11 a.m."), which a reader in Germany,
Finland or Portugal takes for 6 October. Input still accepts everything Django's ``en``
accepted (forms keep working for whoever types the American way), and also the site's own
display formats, so a date copied from a page can be typed back in.
"""

from django.conf.locale.en import formats as _django_en

DATE_FORMAT = "j M Y"  # 10 Jun 2026
TIME_FORMAT = "H:i"  # 14:30
DATETIME_FORMAT = "j M Y, H:i"  # 10 Jun 2026, 14:30
YEAR_MONTH_FORMAT = "F Y"  # June 2026
MONTH_DAY_FORMAT = "j F"  # 10 June
SHORT_DATE_FORMAT = "j M Y"  # 10 Jun 2026
SHORT_DATETIME_FORMAT = "j M Y, H:i"  # 10 Jun 2026, 14:30
FIRST_DAY_OF_WEEK = 1  # Monday

DATE_INPUT_FORMATS = [*_django_en.DATE_INPUT_FORMATS]
DATETIME_INPUT_FORMATS = [
    *_django_en.DATETIME_INPUT_FORMATS,
    "%d %b %Y, %H:%M",  # '10 Jun 2026, 14:30'
    "%d %b %Y %H:%M",  # '10 Jun 2026 14:30'
]
TIME_INPUT_FORMATS = [*_django_en.TIME_INPUT_FORMATS]

# The site's named formats (see dealership/formats/__init__.py).
DAY_HEADING_FORMAT = "l, j F"  # Monday, 2 March
FULL_DATE_FORMAT = "l, j F Y"  # Monday, 2 March 2026
SHORT_DAY_FORMAT = "D j M"  # Mon 2 Mar
WEEKDAY_DATE_FORMAT = "D j M Y"  # Mon 2 Mar 2026
WEEKDAY_DATETIME_FORMAT = "D j M Y, H:i"  # Mon 2 Mar 2026, 14:30
