import pytest

from dealership.knowledge import demo, selectors
from dealership.knowledge.models import Article

pytestmark = pytest.mark.django_db


def test_seed_creates_the_articles_once():
    created = demo.seed()
    again = demo.seed()

    assert created == len(demo.ENGLISH) + len(demo.GERMAN) == Article.objects.count()
    assert again == 0
    assert Article.objects.filter(language="en").count() >= 15
    assert Article.objects.filter(language="de").count() >= 5
    assert set(Article.objects.values_list("category", flat=True)) == set(Article.Category.values)


def test_seeded_german_articles_translate_english_ones_and_are_searchable():
    demo.seed()

    english = set(Article.objects.filter(language="en").values_list("slug", flat=True))
    german = set(Article.objects.filter(language="de").values_list("slug", flat=True))
    assert german <= english
    titles = [a.title for a in selectors.article_search(query="Probefahrten", language="de")]
    assert titles[0] == "Wie buche ich eine Probefahrt?"


def test_a_managers_edit_survives_a_second_seed():
    demo.seed()
    Article.objects.filter(slug="home-delivery").update(title="Edited")

    demo.seed()

    assert Article.objects.get(slug="home-delivery").title == "Edited"
