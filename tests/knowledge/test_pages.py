"""The public help pages, the staff help pages and the suggest endpoint for the chat."""

import json

import pytest
from django.core.cache import cache
from django.urls import reverse

from dealership.knowledge.models import Article

from .factories import ArticleFactory

pytestmark = pytest.mark.django_db

INDEX = "/help/"
SUGGEST = "/help/suggest/"


@pytest.fixture
def articles():
    return {
        "financing": ArticleFactory(
            title="How does financing work?",
            slug="financing",
            body="Spread the price over monthly instalments.",
        ),
        "warranty": ArticleFactory(
            title="What does the warranty cover?",
            slug="warranty",
            category=Article.Category.WARRANTY,
            body="Engine and gearbox for 12 months.",
        ),
        "draft": ArticleFactory(
            title="Draft about instalments", slug="draft", published=False, body="instalments"
        ),
        "internal": ArticleFactory(
            title="Discount rules for instalments",
            slug="discount-rules",
            audience=Article.Audience.STAFF,
            body="Managers approve instalments below the list rate.",
        ),
    }


def test_the_index_lists_public_published_articles_by_category(client, articles):
    response = client.get(INDEX)

    assert response.status_code == 200
    content = response.content.decode()
    assert "How does financing work?" in content
    assert "What does the warranty cover?" in content
    assert "Draft about instalments" not in content
    assert "Discount rules" not in content
    assert [group.label for group in response.context["groups"]] == ["Financing", "Warranty"]
    # The search box has a real label
    assert '<label class="form-label" for="id_q">Search the help pages</label>' in content
    assert 'href="/help/financing/"' in content


def test_search_shows_matches_with_a_highlighted_snippet(client, articles):
    response = client.get(INDEX, {"q": "instalment"})

    assert response.status_code == 200
    assert [a.title for a in response.context["results"]] == ["How does financing work?"]
    assert "<mark>instalments</mark>" in response.content.decode()


def test_search_without_matches_says_so(client, articles):
    response = client.get(INDEX, {"q": "helicopter"})

    assert response.status_code == 200
    assert response.context["results"] == []
    assert "No help article matches your search." in response.content.decode()


def test_a_query_too_long_is_refused_with_a_message(client, articles):
    response = client.get(INDEX, {"q": "x" * 201})

    assert response.status_code == 400
    assert "Ensure this value has at most 200 characters" in response.content.decode()


def test_the_visitor_reads_articles_in_their_language(client, articles):
    ArticleFactory(
        language="de", title="Wie funktioniert die Finanzierung?", slug="financing", body="Raten"
    )

    german = client.get(INDEX, HTTP_ACCEPT_LANGUAGE="de")
    page = client.get("/help/financing/", HTTP_ACCEPT_LANGUAGE="de")

    assert [a.title for g in german.context["groups"] for a in g.articles] == [
        "Wie funktioniert die Finanzierung?"
    ]
    assert page.context["article"].language == "de"
    assert '<article lang="de">' in page.content.decode()


def test_a_language_without_articles_falls_back_to_the_default(client, articles):
    index = client.get(INDEX, HTTP_ACCEPT_LANGUAGE="pt")
    search = client.get(INDEX, {"q": "gearbox"}, HTTP_ACCEPT_LANGUAGE="pt")
    page = client.get("/help/warranty/", HTTP_ACCEPT_LANGUAGE="de")

    assert "How does financing work?" in index.content.decode()
    assert [a.title for a in search.context["results"]] == ["What does the warranty cover?"]
    assert page.status_code == 200
    assert page.context["article"].language == "en"


def test_the_article_page_renders_the_markdown_safely(client):
    ArticleFactory(
        slug="tricky",
        title="Tricky",
        body="**Bold** <script>alert('x')</script> [bad](javascript:alert(1)) [good](https://example.com)",
    )

    response = client.get("/help/tricky/")

    content = response.content.decode()
    assert response.status_code == 200
    assert "<strong>Bold</strong>" in content
    assert "<script>alert" not in content
    assert "&lt;script&gt;alert" in content
    assert 'href="javascript:' not in content
    assert 'href="https://example.com"' in content


@pytest.mark.parametrize("slug", ["draft", "discount-rules", "no-such-article"])
def test_drafts_staff_articles_and_unknown_slugs_are_not_found(client, articles, slug):
    assert client.get(f"/help/{slug}/").status_code == 404


def test_staff_help_shows_staff_articles_to_staff_only(client, consultant, articles):
    assert client.get("/staff/help/").status_code == 302
    assert client.get("/staff/help/discount-rules/").status_code == 302

    client.force_login(consultant)
    index = client.get("/staff/help/")
    search = client.get("/staff/help/", {"q": "instalments"})
    page = client.get("/staff/help/discount-rules/")

    assert "Discount rules for instalments" in index.content.decode()
    assert 'href="/staff/help/discount-rules/"' in index.content.decode()
    assert sorted(a.title for a in search.context["results"]) == [
        "Discount rules for instalments",
        "How does financing work?",
    ]
    assert page.status_code == 200
    assert "Managers approve instalments" in page.content.decode()
    assert client.get("/staff/help/draft/").status_code == 404


def test_the_showroom_links_to_help(client, articles):
    content = client.get(reverse("home")).content.decode()

    assert 'href="/help/"' in content


def test_query_counts_are_fixed(client, articles, django_assert_num_queries):
    for n in range(5):
        ArticleFactory(slug=f"more-{n}", body="more instalments")
    ArticleFactory(language="de", slug="de-more", body="Raten")
    client.get(INDEX)  # the footer's locations are cached after the first page

    # Each request is one transaction (a savepoint here, and its release) around:
    # index in another language: the languages present, the articles
    with django_assert_num_queries(2 + 2):
        assert client.get(INDEX, HTTP_ACCEPT_LANGUAGE="de").status_code == 200
    # default language: no language query; the articles
    with django_assert_num_queries(2 + 1):
        assert client.get(INDEX).status_code == 200
    # search: the results with their snippets
    with django_assert_num_queries(2 + 1):
        assert client.get(INDEX, {"q": "instalments"}).status_code == 200
    # article: the article (in the visitor's or the default language)
    with django_assert_num_queries(2 + 1):
        assert client.get("/help/financing/").status_code == 200
    with django_assert_num_queries(2 + 1):
        assert client.get("/help/financing/", HTTP_ACCEPT_LANGUAGE="de").status_code == 200


def test_staff_query_counts_are_fixed(client, consultant, articles, django_assert_num_queries):
    client.force_login(consultant)
    client.get("/staff/help/")
    # session and user; in the request's transaction the articles and the user's roles (the
    # staff menu); the session saved in its own
    with django_assert_num_queries(2 + 4 + 3):
        assert client.get("/staff/help/").status_code == 200
    with django_assert_num_queries(2 + 4 + 3):
        assert client.get("/staff/help/", {"q": "instalments"}).status_code == 200
    with django_assert_num_queries(2 + 4 + 3):
        assert client.get("/staff/help/discount-rules/").status_code == 200


def _suggest(client, q, **extra):
    response = client.get(SUGGEST, {"q": q}, **extra)
    return response.status_code, json.loads(response.content)


def test_suggest_returns_up_to_three_public_articles(client, articles):
    for n in range(4):
        ArticleFactory(title=f"Instalment plan {n}", slug=f"plan-{n}", body="instalments")

    status, body = _suggest(client, "instal")

    assert status == 200
    assert len(body) == 3
    assert all(set(item) == {"title", "url"} for item in body)
    titles = {item["title"] for item in body}
    assert "Draft about instalments" not in titles
    assert "Discount rules for instalments" not in titles


def test_suggest_gives_the_article_url(client, articles):
    assert _suggest(client, "warranty cov") == (
        200,
        [{"title": "What does the warranty cover?", "url": "/help/warranty/"}],
    )


@pytest.mark.parametrize("q", ["", " ", "a", "!!", "&|:*()", "'", "\\", "\x00", "zzzzzz"])
def test_suggest_answers_an_empty_list_for_short_or_odd_input(client, articles, q):
    assert _suggest(client, q) == (200, [])


def test_suggest_without_q_and_with_too_long_q(client, articles):
    assert json.loads(client.get(SUGGEST).content) == []
    response = client.get(SUGGEST, {"q": "x" * 201})
    assert response.status_code == 400
    assert json.loads(response.content) == {"error": "The question is too long."}


def test_suggest_in_the_visitors_language(client, articles):
    ArticleFactory(language="de", title="Garantie", slug="warranty", body="Zwölf Monate")

    # The link is the German page's own URL (the language is in the path since #18).
    assert _suggest(client, "garan", HTTP_ACCEPT_LANGUAGE="de") == (
        200,
        [{"title": "Garantie", "url": "/de/help/warranty/"}],
    )


def test_suggest_is_rate_limited(client, articles):
    cache.clear()
    statuses = [client.get(SUGGEST, {"q": "warranty"}).status_code for _ in range(61)]

    assert statuses[:60] == [200] * 60
    assert statuses[60] == 429
