from django.contrib.sitemaps import Sitemap
from django.urls import reverse

# Every URL in every language (settings.LANGUAGES), each with its xhtml:link alternates and
# an x-default (the unprefixed English page), as search engines want them.
from dealership.accounts.selectors import location_list_public

from .selectors import vehicle_list_public


class LanguagesSitemap(Sitemap):
    i18n = True
    alternates = True
    x_default = True


class VehicleSitemap(LanguagesSitemap):
    changefreq = "daily"
    priority = 0.8
    limit = 10_000

    def items(self):
        return vehicle_list_public().only("slug", "updated_at").order_by("id")

    def lastmod(self, vehicle):
        return vehicle.updated_at


class PageSitemap(LanguagesSitemap):
    changefreq = "daily"
    priority = 1.0

    def items(self):
        return ["home", "inventory:search", "knowledge:index"]

    def location(self, item):
        return reverse(item)


class LocationSitemap(LanguagesSitemap):
    changefreq = "monthly"
    priority = 0.5

    def items(self):
        return location_list_public().order_by("slug")


SITEMAPS = {"pages": PageSitemap, "locations": LocationSitemap, "vehicles": VehicleSitemap}
