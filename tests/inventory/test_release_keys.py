"""Cached fragments, cards and pages carry the release in their keys: during a rolling deploy
the old and the new release share one cache, and neither serves what the other rendered."""

from decimal import Decimal
from importlib import metadata

import pytest
from django.core.cache import cache
from django.core.cache.utils import make_template_fragment_key

from dealership import release
from inventory import cards
from inventory.facet_index import _cache_key as facet_index_key
from inventory.forms import VehicleSearchForm
from inventory.fragments import vehicle_body_key
from inventory.selectors import facets_cache_version, vehicle_search_page

from .factories import VehicleFactory

SHA = "0123456789abcdef0123456789abcdef01234567"
OTHER_SHA = "fedcba9876543210fedcba9876543210fedcba98"


# --- Which release this is ---


def test_the_environment_names_the_release_first(tmp_path):
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "HEAD").write_text(SHA + "\n")

    assert release.detect(tmp_path, {"SHOWROOM_RELEASE": " 2026.12.07-1 "}) == "2026.12.07-1"


def test_else_the_checkouts_branch_commit(tmp_path):
    git = tmp_path / ".git"
    (git / "refs" / "heads").mkdir(parents=True)
    (git / "HEAD").write_text("ref: refs/heads/main\n")
    (git / "refs" / "heads" / "main").write_text(SHA + "\n")

    assert release.detect(tmp_path, {"SHOWROOM_RELEASE": ""}) == "0123456789ab"


def test_a_packed_ref_and_a_detached_head_are_read(tmp_path):
    git = tmp_path / ".git"
    git.mkdir()
    (git / "HEAD").write_text("ref: refs/heads/main\n")
    (git / "packed-refs").write_text(f"# pack-refs with: peeled\n{OTHER_SHA} refs/heads/main\n")
    packed = release.detect(tmp_path, {})
    (git / "HEAD").write_text(SHA)

    assert (packed, release.detect(tmp_path, {})) == ("fedcba987654", "0123456789ab")


def test_a_worktrees_commit_is_read_through_its_gitdir_file(tmp_path):
    # A worktree's .git is a file; its branch lives in the main repository's refs.
    common = tmp_path / "repo.git"
    (common / "refs" / "heads").mkdir(parents=True)
    (common / "refs" / "heads" / "feature").write_text(OTHER_SHA + "\n")
    worktree_git = common / "worktrees" / "feature"
    worktree_git.mkdir(parents=True)
    (worktree_git / "HEAD").write_text("ref: refs/heads/feature\n")
    (worktree_git / "commondir").write_text("../..\n")
    checkout = tmp_path / "checkout"
    checkout.mkdir()
    (checkout / ".git").write_text(f"gitdir: {worktree_git}\n")

    assert release.detect(checkout, {}) == "fedcba987654"


def test_without_git_the_package_version_names_the_release(tmp_path):
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "HEAD").write_text("not a commit\n")

    assert release.detect(tmp_path / "nowhere", {}) == f"v{metadata.version('showroom')}"
    assert release.detect(tmp_path, {}) == f"v{metadata.version('showroom')}"


def test_the_settings_hold_the_release_and_keys_carry_it(settings):
    settings.SHOWROOM_RELEASE = "A"

    assert release.current() == "A"
    assert release.cache_key("inventory:card:1:abc") == "inventory:card:1:abc:r:A"


# --- A fragment cached under release A is not served under release B ---


def _page():
    return vehicle_search_page(filters=VehicleSearchForm({}).filters()).vehicles


@pytest.mark.django_db
def test_a_card_cached_under_one_release_is_not_served_under_another(settings):
    # Given a card cached by release A (marked so it can be told apart from a fresh render)
    VehicleFactory(list_price=Decimal("24990"))
    settings.SHOWROOM_RELEASE = "A"
    [vehicle] = _page()
    cache.set(cards.card_key(vehicle), "<p>rendered by A</p>")

    # When release B shows the card, and release A again
    settings.SHOWROOM_RELEASE = "B"
    [under_b] = _page()
    cards.cards_attach([under_b])
    settings.SHOWROOM_RELEASE = "A"
    [under_a] = _page()
    cards.cards_attach([under_a])

    # Then B rendered its own (and stored it under its own key); A still finds its entry
    assert "rendered by A" not in under_b.card_body_html
    assert '<span class="fs-5 fw-bold">€24,990</span>' in under_b.card_body_html
    assert cache.get(cards.card_key(under_a)) == "<p>rendered by A</p>"
    assert under_a.card_body_html == "<p>rendered by A</p>"
    settings.SHOWROOM_RELEASE = "B"
    assert cache.get(cards.card_key(under_b)) == str(under_b.card_body_html)


@pytest.mark.django_db
def test_a_page_cached_under_one_release_is_rendered_afresh_under_another(client, settings):
    vehicle = VehicleFactory(list_price=Decimal("24990"))
    url = vehicle.get_absolute_url()
    settings.SHOWROOM_RELEASE = "A"
    first = client.get(url)["X-Page-Cache"]
    second = client.get(url)["X-Page-Cache"]

    settings.SHOWROOM_RELEASE = "B"
    after_deploy = client.get(url)["X-Page-Cache"]
    again = client.get(url)["X-Page-Cache"]

    assert (first, second, after_deploy, again) == ("miss", "hit", "miss", "hit")


@pytest.mark.django_db
def test_the_search_filters_fragment_is_keyed_by_release(client, settings):
    # Given the filter column cached by release A's page (the page cache off, so the view
    # renders and the {% cache %} tag decides), marked so it can be told apart
    settings.SHOWROOM_PAGE_CACHE_SECONDS = 0
    VehicleFactory(list_price=Decimal("24990"))
    settings.SHOWROOM_RELEASE = "A"
    response = client.get("/vehicles/")
    key_a = response.context["filters_cache_key"]
    fragment_a = make_template_fragment_key("inventory_filters", [key_a, "en"])
    assert cache.get(fragment_a) is not None
    cache.set(fragment_a, "<p>filters by A</p>")

    # When release B and then release A render the search page
    settings.SHOWROOM_RELEASE = "B"
    under_b = client.get("/vehicles/")
    settings.SHOWROOM_RELEASE = "A"
    under_a = client.get("/vehicles/")

    # Then B rendered the column itself, A served its own entry
    assert ":r:A:" in key_a
    assert under_b.context["filters_cache_key"] == key_a.replace(":r:A:", ":r:B:")
    assert "filters by A" not in under_b.content.decode()
    assert "<p>filters by A</p>" in under_a.content.decode()


@pytest.mark.django_db
def test_the_other_cached_parts_carry_the_release_but_the_shared_version_does_not(settings):
    VehicleFactory(list_price=Decimal("24990"))
    [vehicle] = _page()
    keys = {}
    for name in ("A", "B"):
        settings.SHOWROOM_RELEASE = name
        keys[name] = (
            vehicle_body_key(vehicle=vehicle, query=[], site=("https", "showroom.example")),
            facet_index_key("token"),
            facets_cache_version(),
        )

    body_a, index_a, version_a = keys["A"]
    body_b, index_b, version_b = keys["B"]
    assert body_a.endswith(":r:A")
    assert body_b == body_a.removesuffix(":r:A") + ":r:B"
    assert (index_a, index_b) == (
        "inventory:facet-index:token:r:A",
        "inventory:facet-index:token:r:B",
    )
    # An invalidation by either release reaches the other: one version token for both.
    assert version_a == version_b
