"""Simplified Chinese: Django's own formats, and the site's named ones
(dealership/formats/__init__.py)."""

DAY_HEADING_FORMAT = "n月j日 l"  # 3月2日 星期一
FULL_DATE_FORMAT = "Y年n月j日 l"  # 2026年3月2日 星期一
SHORT_DAY_FORMAT = "n月j日 D"  # 3月2日 星期一
WEEKDAY_DATE_FORMAT = "Y年n月j日 D"  # 2026年3月2日 星期一
WEEKDAY_DATETIME_FORMAT = "Y年n月j日 D H:i"  # 2026年3月2日 星期一 14:30
