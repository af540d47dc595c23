import factory

from dealership.knowledge.models import Article
from dealership.knowledge.services import article_save


class ArticleFactory(factory.django.DjangoModelFactory):
    """Saved through article_save, so the search vector is real."""

    class Meta:
        model = Article

    title = factory.Sequence(lambda n: f"Help article {n}")
    slug = factory.Sequence(lambda n: f"help-article-{n}")
    body = "Some helpful words."
    category = Article.Category.FINANCING
    audience = Article.Audience.PUBLIC
    language = "en"
    published = True

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return article_save(article=model_class(*args, **kwargs))
