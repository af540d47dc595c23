import pytest
from django.db import connection


@pytest.mark.postgres
@pytest.mark.django_db
def test_suite_runs_on_postgresql():
    """In CI the whole suite runs on PostgreSQL: this test fails (not skips) there otherwise."""
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version_num")
        version = int(cursor.fetchone()[0])

    assert connection.vendor == "postgresql"
    assert version >= 140000
