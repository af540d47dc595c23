"""Writes of the knowledge base. Saving an article goes through article_save, which keeps its
search vector in step with its text and language."""

from django.contrib.postgres.search import SearchVector
from django.db import transaction

from .models import Article


def search_vector_for(article: Article) -> SearchVector:
    config = article.search_config
    return SearchVector("title", weight="A", config=config) + SearchVector(
        "body", weight="B", config=config
    )


@transaction.atomic
def article_save(*, article: Article) -> Article:
    """Validate and save `article`, then recompute its search vector in the database."""
    article.full_clean()
    article.save()
    Article.objects.filter(pk=article.pk).update(search_vector=search_vector_for(article))
    return article


def article_search_vectors_refresh() -> int:
    """Recompute every article's search vector (after a bulk import, or a change of configs)."""
    count = 0
    for article in Article.objects.only("pk", "language"):
        count += Article.objects.filter(pk=article.pk).update(
            search_vector=search_vector_for(article)
        )
    return count
