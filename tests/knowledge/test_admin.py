import pytest

from dealership.accounts.roles import Role
from dealership.accounts.services import roles_sync
from dealership.knowledge import selectors
from dealership.knowledge.models import Article
from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_a_manager_writes_an_article_in_admin_and_it_is_searchable(client, location):
    roles_sync()
    client.force_login(UserFactory(role=Role.SALES_MANAGER, locations=[location]))

    response = client.post(
        "/admin/knowledge/article/add/",
        {
            "title": "Winter tyres",
            "slug": "winter-tyres",
            "language": "en",
            "category": "service",
            "audience": "public",
            "published": "on",
            "body": "We store your **winter tyres** between seasons.",
        },
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    article = Article.objects.get()
    assert [a.pk for a in selectors.article_search(query="tyre", language="en")] == [article.pk]
    change = client.get(f"/admin/knowledge/article/{article.pk}/change/")
    assert "<strong>winter tyres</strong>" in change.content.decode()


def test_the_slug_is_unique_per_language_only(client, location):
    roles_sync()
    client.force_login(UserFactory(role=Role.SALES_MANAGER, locations=[location]))
    data = {
        "title": "Garantie",
        "slug": "warranty",
        "category": "warranty",
        "audience": "public",
        "body": "Text",
    }

    assert (
        client.post("/admin/knowledge/article/add/", {**data, "language": "en"}).status_code == 302
    )
    assert (
        client.post("/admin/knowledge/article/add/", {**data, "language": "de"}).status_code == 302
    )
    duplicate = client.post("/admin/knowledge/article/add/", {**data, "language": "de"})

    assert duplicate.status_code == 200
    assert Article.objects.count() == 2
