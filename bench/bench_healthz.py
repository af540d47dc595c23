"""The health endpoint against the floor of one `SELECT 1`: the cost of the view around it."""

from django.db import connection
from django.test import Client

from bench.common import measure, report


def main() -> None:
    client = Client()

    def select_one():
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()

    floor = measure("floor: SELECT 1", select_one, repeat=200)
    view = measure("GET /healthz", lambda: client.get("/healthz"), repeat=200)
    report(floor)
    report(view, floor)
