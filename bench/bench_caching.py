"""Each showroom cache layer (dealership/core/caching.py) on and off, over bench_showroom's
100,000 vehicles: the p50 of the page the layer serves with every layer on, and with that one
layer switched off (``SHOWROOM_CACHE_DISABLE``), in two rounds to show the noise.

- pages: the page-cache hit against the same page rendered on every request (pages off; the
  other layers warm);
- every other layer: a page-cache miss (a new page version before each request, outside the
  timing: what a logged-in visitor or the first visitor after a change gets) with the layer
  on and off (facet_index off: no per-process copy of the index, read from the cache instead).

Run with `make bench` (BENCH_ARGS=caching for this one only).
"""

import os

from django.test import Client

from bench.bench_showroom import COMBOS, generate, measure_after
from bench.common import Timing, measure

SEARCH = COMBOS[2][1]  # make=BMW, price asc


def _switch(disabled: str):
    if disabled:
        os.environ["SHOWROOM_CACHE_DISABLE"] = disabled
    else:
        os.environ.pop("SHOWROOM_CACHE_DISABLE", None)


def main() -> None:
    from inventory.models import Vehicle
    from inventory.page_cache import page_cache_invalidate

    generate()
    client = Client(HTTP_HOST="127.0.0.1")
    vehicle = Vehicle.objects.filter(status="available").order_by("id")[5000]
    pages = {
        "search": lambda: client.get("/vehicles/", SEARCH),
        "vehicle": lambda: client.get(vehicle.get_absolute_url()),
    }

    def nothing():
        pass

    # (layer, page, setup, disabled when "on", disabled when "off")
    cases = [
        ("pages", "search", nothing, "", "pages"),
        ("pages", "vehicle", nothing, "", "pages"),
        ("fragments", "vehicle", page_cache_invalidate, "", "fragments"),
        ("cards", "search", page_cache_invalidate, "", "cards"),
        ("cards", "vehicle", page_cache_invalidate, "", "cards"),
        ("filters", "search", page_cache_invalidate, "", "filters"),
        ("facet_index", "search", page_cache_invalidate, "", "facet_index"),
        ("similar", "vehicle", page_cache_invalidate, "", "similar"),
        ("locations", "search", page_cache_invalidate, "", "locations"),
        ("locations", "vehicle", page_cache_invalidate, "", "locations"),
    ]
    rows: dict[tuple[str, str], list[tuple[Timing, Timing]]] = {}
    try:
        for round_ in (1, 2):
            for layer, page, setup, on, off in cases:
                timings = []
                for disabled in (on, off):
                    _switch(disabled)
                    fn = pages[page]
                    fn()
                    if setup is nothing:
                        timing = measure(f"{layer} {page}", fn, repeat=25, warmup=3)
                    else:
                        timing = measure_after(f"{layer} {page}", setup, fn, repeat=25, warmup=3)
                    timings.append(timing)
                rows.setdefault((layer, page), []).append(tuple(timings))
                on_t, off_t = timings
                print(
                    f"round {round_}  {layer:<12} {page:<8} on {on_t.p50 * 1000:8.2f} ms  "
                    f"off {off_t.p50 * 1000:8.2f} ms  off/on {off_t.p50 / on_t.p50:5.2f}x",
                    flush=True,
                )
    finally:
        _switch("")
    print("\n| layer | page | p50 on (ms) | p50 off (ms) | off/on |")
    print("|---|---|---|---|---|")
    for (layer, page), runs in rows.items():
        on = " / ".join(f"{a.p50 * 1000:.1f}" for a, _ in runs)
        off = " / ".join(f"{b.p50 * 1000:.1f}" for _, b in runs)
        ratio = " / ".join(f"{b.p50 / a.p50:.2f}x" for a, b in runs)
        print(f"| {layer} | {page} | {on} | {off} | {ratio} |")
