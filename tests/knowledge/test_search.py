"""Full-text search of help articles, in each article's own language (stemming included)."""

import pytest

from dealership.knowledge import selectors
from dealership.knowledge.models import Article, search_config_for
from dealership.knowledge.services import article_save

from .factories import ArticleFactory

pytestmark = pytest.mark.django_db


def _titles(results):
    return [article.title for article in results]


def test_language_codes_map_to_postgres_configurations():
    assert search_config_for("de") == "german"
    assert search_config_for("en") == "english"
    assert search_config_for("pt") == "portuguese"
    assert search_config_for("de-at") == "german"
    assert search_config_for("zh-hans") == "simple"
    assert search_config_for("") == "simple"


def test_english_search_finds_another_form_of_the_word():
    # Given an article that speaks of "financing" and one that does not
    ArticleFactory(title="Paying monthly", body="We offer financing for every car.")
    ArticleFactory(title="Washing", body="Bring your car to the car wash.")

    # When a visitor searches for "financed"
    results = selectors.article_search(query="financed", language="en")

    # Then the stemmed word matches
    assert _titles(results) == ["Paying monthly"]


def test_german_search_stems_with_the_german_configuration():
    # Given German articles; "Inspektionen" and "Garantien" are plurals of the words in them
    ArticleFactory(
        language="de", title="Wartung", body="Die Inspektion ist jedes Jahr fällig.", slug="a"
    )
    ArticleFactory(language="de", title="Garantie", body="Zwölf Monate Garantie.", slug="b")

    # Then each plural finds its article
    assert _titles(selectors.article_search(query="Inspektionen", language="de")) == ["Wartung"]
    assert _titles(selectors.article_search(query="Garantien", language="de")) == ["Garantie"]
    # and German articles are not searched when the reader reads English
    assert selectors.article_search(query="Inspektion", language="en") == []


def test_the_search_vector_follows_edits():
    article = ArticleFactory(body="Old words about tyres.")
    assert _titles(selectors.article_search(query="tyres", language="en")) == [article.title]

    article.body = "New words about brakes."
    article_save(article=article)

    assert selectors.article_search(query="tyres", language="en") == []
    assert _titles(selectors.article_search(query="brakes", language="en")) == [article.title]


def test_title_matches_rank_above_body_matches():
    ArticleFactory(title="Something else", body="A word on warranty.")
    ArticleFactory(title="Warranty explained", body="What is covered.")

    assert _titles(selectors.article_search(query="warranty", language="en")) == [
        "Warranty explained",
        "Something else",
    ]


def test_snippets_mark_the_match_and_escape_the_body():
    ArticleFactory(body="Our <b>financing</b> & **leasing** <script>alert(1)</script> offers.")

    (result,) = selectors.article_search(query="financing", language="en")

    assert "<mark>financing</mark>" in result.snippet
    assert "&amp; leasing" in result.snippet
    assert "<b>" not in result.snippet
    assert "<script" not in result.snippet
    assert "**" not in result.snippet


def test_search_syntax_never_breaks_the_query():
    ArticleFactory(body="Trade-in valuation.")

    for query in ['"unclosed', "a & | ! :* ()", "-", "'; drop table", "valuation:*"]:
        assert isinstance(selectors.article_search(query=query, language="en"), list)


def test_only_published_articles_of_the_audience_are_found():
    ArticleFactory(title="Public", body="delivery times")
    ArticleFactory(title="Draft", body="delivery times", published=False)
    ArticleFactory(title="Internal", body="delivery times", audience=Article.Audience.STAFF)

    assert _titles(selectors.article_search(query="delivery", language="en")) == ["Public"]
    assert sorted(
        _titles(
            selectors.article_search(query="delivery", language="en", audiences=selectors.STAFF)
        )
    ) == ["Internal", "Public"]


def test_reading_language_falls_back_to_the_default_when_none_in_the_visitors():
    ArticleFactory(language="en")
    ArticleFactory(language="de", slug="de-one")
    ArticleFactory(language="fi", slug="fi-draft", published=False)

    assert selectors.reading_language(language="de") == "de"
    assert selectors.reading_language(language="pt") == "en"
    assert selectors.reading_language(language="fi") == "en"  # only a draft in Finnish
    assert selectors.reading_language(language="xx") == "en"


def test_staff_only_articles_do_not_make_a_language_readable_for_the_public():
    ArticleFactory(language="en")
    ArticleFactory(language="de", slug="intern", audience=Article.Audience.STAFF)

    assert selectors.reading_language(language="de") == "en"
    assert selectors.reading_language(language="de", audiences=selectors.STAFF) == "de"


def test_suggest_matches_the_word_being_typed_as_a_prefix():
    ArticleFactory(title="Financing", body="Monthly instalments.")
    ArticleFactory(title="Tyres", body="Winter tyres.")

    assert _titles(selectors.article_suggest(query="financ", language="en")) == ["Financing"]
    assert _titles(selectors.article_suggest(query="monthly inst", language="en")) == ["Financing"]
    assert selectors.article_suggest(query="f", language="en") == []
    assert selectors.article_suggest(query="&|!:*", language="en") == []
