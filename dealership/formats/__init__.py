"""The site's date and time formats per language (``FORMAT_MODULE_PATH``).

Django looks a format name up in ``dealership.formats.<locale>.formats`` first and then in its
own ``django.conf.locale.<locale>.formats``, so a module here holds only what the site changes:

- English (``en``) writes dates the way a reader in our European markets cannot misread them
  ("10 Jun 2026, 14:30", not "06/10/2026 2 p.m."), 24-hour times, weeks from Monday.
- Every language defines the site's own named formats, used with ``|date:"DAY_HEADING_FORMAT"``
  or ``formats.date_format(value, "WEEKDAY_DATETIME_FORMAT")`` instead of an English-shaped
  pattern written into a template:

  ``DAY_HEADING_FORMAT``       a day as a heading: "Monday, 2 March", "Montag, 2. März"
  ``FULL_DATE_FORMAT``         the same with the year: "Monday, 2 March 2026"
  ``SHORT_DAY_FORMAT``         a compact day: "Mon 2 Mar", "Mo, 2.3.", "ma 2.3."
  ``WEEKDAY_DATE_FORMAT``      a day with weekday and year: "Mon 2 Mar 2026", "Mo, 2. März 2026"
  ``WEEKDAY_DATETIME_FORMAT``  the same with the time: "Mon 2 Mar 2026, 14:30"

A name missing from a language's module here would be printed letter by letter as a pattern,
so tests/test_date_formats.py checks that every language defines all of them.
"""

NAMED_FORMATS = (
    "DAY_HEADING_FORMAT",
    "FULL_DATE_FORMAT",
    "SHORT_DAY_FORMAT",
    "WEEKDAY_DATE_FORMAT",
    "WEEKDAY_DATETIME_FORMAT",
)
