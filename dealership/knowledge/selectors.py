"""Reads of the knowledge base: which language a visitor reads, article lists, search."""

import re
from dataclasses import dataclass

from django.conf import settings
from django.contrib.postgres.search import SearchHeadline, SearchQuery, SearchRank
from django.db.models import F, QuerySet
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from .markdown import markdown_to_text
from .models import Article, search_config_for

PUBLIC = (Article.Audience.PUBLIC,)
STAFF = (Article.Audience.PUBLIC, Article.Audience.STAFF)

# ts_headline marks matches with these (private-use characters, never typed); the snippet is
# HTML-escaped first and only then are they turned into <mark>, so the body's text can never
# become markup.
_START, _STOP = "\ue000", "\ue001"
MIN_QUERY_LENGTH = 2
_WORD = re.compile(r"\w+")


def language_codes() -> list[str]:
    return [code for code, _name in settings.LANGUAGES]


def visitor_language(language: str | None) -> str:
    """The site language code for what get_language() says ("de-at" -> "de")."""
    codes = language_codes()
    code = (language or "").lower()
    if code in codes:
        return code
    if code.split("-")[0] in codes:
        return code.split("-")[0]
    return settings.LANGUAGE_CODE


def published_articles(*, audiences=PUBLIC) -> QuerySet[Article]:
    return Article.objects.filter(published=True, audience__in=audiences)


def reading_language(*, language: str | None, audiences=PUBLIC) -> str:
    """The visitor's language if it has published articles for them, else the default one
    (one query)."""
    wanted = visitor_language(language)
    default = settings.LANGUAGE_CODE
    if wanted == default:
        return default
    present = set(
        published_articles(audiences=audiences)
        .filter(language__in=[wanted, default])
        .order_by()
        .values_list("language", flat=True)
        .distinct()
    )
    return wanted if wanted in present else default


@dataclass(frozen=True)
class CategoryGroup:
    key: str
    label: str
    articles: list[Article]


def article_index(*, language: str, audiences=PUBLIC) -> list[CategoryGroup]:
    """Published articles of `language`, grouped by category in the categories' order."""
    articles = list(
        published_articles(audiences=audiences)
        .filter(language=language)
        .only("title", "slug", "category", "audience", "language")
        .order_by("title")
    )
    groups = []
    for key, label in Article.Category.choices:
        in_category = [a for a in articles if a.category == key]
        if in_category:
            groups.append(CategoryGroup(key, str(label), in_category))
    return groups


def _snippet(headline: str) -> SafeString:
    text = escape(markdown_to_text(headline))
    return mark_safe(text.replace(_START, "<mark>").replace(_STOP, "</mark>"))  # noqa: S308  # nosec B308 B703 - escaped above


def article_search(
    *, query: str, language: str, audiences=PUBLIC, limit: int = 20
) -> list[Article]:
    """Articles of `language` matching `query` (web-search syntax: words, "phrases", -not),
    best first, each with a `.snippet` (safe HTML, matches in <mark>)."""
    query = (query or "").strip()
    if len(query) < MIN_QUERY_LENGTH:
        return []
    config = search_config_for(language)
    search = SearchQuery(query, config=config, search_type="websearch")
    results = list(
        published_articles(audiences=audiences)
        .filter(language=language, search_vector=search)
        .annotate(
            rank=SearchRank(F("search_vector"), search),
            headline=SearchHeadline(
                "body",
                search,
                config=config,
                start_sel=_START,
                stop_sel=_STOP,
                max_words=35,
                min_words=15,
                max_fragments=2,
                fragment_delimiter=" … ",
            ),
        )
        .defer("body", "search_vector")
        .order_by("-rank", "title")[:limit]
    )
    for article in results:
        article.snippet = _snippet(article.headline)
    return results


def article_suggest(*, query: str, language: str, limit: int = 3) -> list[Article]:
    """Public articles whose words start with what the visitor typed so far ("financ" finds
    financing): every word must match, the last one as a prefix."""
    words = _WORD.findall((query or "")[:200])
    if len("".join(words)) < MIN_QUERY_LENGTH or not words:
        return []
    # Only word characters reach the raw tsquery, so its syntax can never be broken.
    raw = " & ".join(f"{word}:*" for word in words[:8])
    search = SearchQuery(raw, config=search_config_for(language), search_type="raw")
    return list(
        published_articles(audiences=PUBLIC)
        .filter(language=language, search_vector=search)
        .annotate(rank=SearchRank(F("search_vector"), search))
        .only("title", "slug", "audience", "language")
        .order_by("-rank", "title")[:limit]
    )


def article_get(*, slug: str, language: str, audiences=PUBLIC) -> Article | None:
    """The article `slug` in `language`, else in the default language (one query)."""
    languages = list(dict.fromkeys([language, settings.LANGUAGE_CODE]))
    candidates = {
        article.language: article
        for article in published_articles(audiences=audiences).filter(
            slug=slug, language__in=languages
        )
    }
    return next((candidates[code] for code in languages if code in candidates), None)


def article_translations(*, article: Article, audiences=PUBLIC) -> QuerySet[Article]:
    return (
        published_articles(audiences=audiences)
        .filter(slug=article.slug)
        .exclude(pk=article.pk)
        .only("language", "slug", "title")
    )
