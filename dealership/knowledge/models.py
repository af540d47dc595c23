"""The FAQ / knowledge base: articles in Markdown, one row per language, found by PostgreSQL
full-text search in the article's own language."""

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

# PostgreSQL's text search configuration (stemming, stop words) per language code; a language
# without one (Chinese) is searched word by word ("simple").
SEARCH_CONFIGS = {
    "en": "english",
    "de": "german",
    "fr": "french",
    "es": "spanish",
    "it": "italian",
    "pt": "portuguese",
    "fi": "finnish",
    "nl": "dutch",
    "sv": "swedish",
    "da": "danish",
    "nb": "norwegian",
}
FALLBACK_SEARCH_CONFIG = "simple"


def search_config_for(language: str) -> str:
    """The regconfig for a language code ("de", "pt-br", "zh-hans")."""
    code = (language or "").lower()
    return SEARCH_CONFIGS.get(code) or SEARCH_CONFIGS.get(
        code.split("-")[0], FALLBACK_SEARCH_CONFIG
    )


class Article(models.Model):
    class Category(models.TextChoices):
        FINANCING = "financing", _("Financing")
        TRADE_IN = "trade-in", _("Trade-in")
        DELIVERY = "delivery", _("Delivery")
        WARRANTY = "warranty", _("Warranty")
        TEST_DRIVES = "test-drives", _("Test drives")
        SERVICE = "service", _("Service")
        ORDERS = "orders", _("Orders & cancellation")
        DATA_PROTECTION = "data-protection", _("Data protection")

    class Audience(models.TextChoices):
        PUBLIC = "public", _("Public (showroom visitors)")
        STAFF = "staff", _("Staff only")

    title = models.CharField(_("title"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=200)
    body = models.TextField(_("body"), help_text=_("Markdown. Raw HTML is not rendered."))
    category = models.CharField(_("category"), max_length=20, choices=Category.choices)
    audience = models.CharField(
        _("audience"), max_length=10, choices=Audience.choices, default=Audience.PUBLIC
    )
    language = models.CharField(
        _("language"), max_length=10, choices=settings.LANGUAGES, default=settings.LANGUAGE_CODE
    )
    published = models.BooleanField(_("published"), default=False)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    # Kept up to date by services.article_save (title weighted above body), in the text search
    # configuration of the article's language.
    search_vector = SearchVectorField(null=True, editable=False)

    class Meta:
        verbose_name = _("help article")
        verbose_name_plural = _("help articles")
        ordering = ["category", "title"]
        constraints = [
            models.UniqueConstraint(
                fields=["language", "slug"], name="knowledge_article_slug_unique_per_language"
            )
        ]
        indexes = [
            GinIndex(fields=["search_vector"], name="knowledge_article_search_gin"),
            models.Index(
                fields=["language", "audience", "published"], name="knowledge_article_listing"
            ),
        ]

    def __str__(self):
        return f"{self.title} ({self.language})"

    def get_absolute_url(self) -> str:
        if self.audience == self.Audience.STAFF:
            return reverse("knowledge:staff-article", kwargs={"slug": self.slug})
        return reverse("knowledge:article", kwargs={"slug": self.slug})

    @property
    def search_config(self) -> str:
        return search_config_for(self.language)
