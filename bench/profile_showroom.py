"""Where a showroom request's milliseconds go: cProfile over repeated search and vehicle-page
requests on the bench data, DEBUG off and the cached template loader, as production serves.

Not a benchmark (make bench does not run it): a tool for finding what to cut. Run with
`python scripts/testservices.py python bench/profile_showroom.py [search|vehicle] [--cold]`;
`--miss` starts a new page version before each request (the page rendered afresh, the facets,
cards and locations cached); `--cold` empties the cache (no page, card or facet cache entry).
"""

import cProfile
import io
import os
import pstats
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dealership.settings")
os.environ.setdefault("DEBUG", "true")

REQUESTS = 60


def main(argv: list[str]) -> None:
    import django

    django.setup()
    from django.conf import settings
    from django.core.cache import cache
    from django.core.management import call_command
    from django.template import engines
    from django.test import Client

    settings.DEBUG = False
    engines["django"].engine.debug = False
    call_command("migrate", verbosity=0)

    from bench.bench_showroom import COMBOS, generate
    from inventory.models import Vehicle
    from inventory.page_cache import page_cache_invalidate
    from inventory.selectors import FACET_VERSION_KEY, facets_cache_version

    generate()
    client = Client(HTTP_HOST="127.0.0.1")
    cold = "--cold" in argv
    miss = "--miss" in argv
    what = [a for a in argv if not a.startswith("--")] or ["search", "vehicle"]
    vehicle = Vehicle.objects.filter(status="available").order_by("id")[5000]
    targets = {
        "search": ("/vehicles/", COMBOS[2][1]),
        "vehicle": (vehicle.get_absolute_url(), {}),
    }
    for name in what:
        url, params = targets[name]
        for _ in range(5):
            client.get(url, params)
        profile = cProfile.Profile()
        for _ in range(REQUESTS):
            if cold:
                version = facets_cache_version()
                cache.clear()
                cache.set(FACET_VERSION_KEY, version, None)
            if miss:
                page_cache_invalidate()
            profile.enable()
            client.get(url, params)
            profile.disable()
        if os.environ.get("PROFILE_DUMP"):
            profile.dump_stats(f"{os.environ['PROFILE_DUMP']}-{name}.pstats")
        out = io.StringIO()
        stats = pstats.Stats(profile, stream=out)
        stats.sort_stats("cumulative").print_stats(45)
        stats.sort_stats("tottime").print_stats(25)
        print(
            f"\n===== {name}{' (cold)' if cold else ' (miss)' if miss else ''}: {REQUESTS} requests ====="
        )
        print(out.getvalue())


if __name__ == "__main__":
    main(sys.argv[1:])
