import pytest

from scoring.models import ScoreRule


@pytest.fixture
def rules(db):
    """A small known rule set instead of the seeded defaults: exact totals in the tests."""
    ScoreRule.objects.all().delete()

    def make(*specs):
        return [
            ScoreRule.objects.create(kind=kind, points=points, parameters=params, position=i)
            for i, (kind, points, params) in enumerate(specs)
        ]

    return make
