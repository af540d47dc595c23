"""`make bench`: run every bench/bench_*.py module's main() against the configured database.

scripts/testservices.py gives it a throwaway PostgreSQL and Redis; `BENCH_ARGS=name` runs
only the modules whose name contains it (e.g. `BENCH_ARGS="bench_today bench_scoring"`).
Sizes come from each module's variables: LEADS_BENCH_LEADS, TODAY_BENCH_LEADS (the Today page,
1,000,000 by default), SCORING_BENCH_LEADS (the nightly lead-score pass, 100,000), …
"""

import importlib
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dealership.settings")
# Settings load with the development defaults (secret key, hosts) …
os.environ.setdefault("DEBUG", "true")


def _serve_as_production() -> None:
    """… but every benchmark is measured as production serves: DEBUG off (no query log wrapped
    around every cursor) and templates compiled without debug annotations, by the cached loader
    (Django's default loaders with APP_DIRS). Done before any template is compiled."""
    from django.conf import settings
    from django.template import engines

    settings.DEBUG = False
    engine = engines["django"].engine
    engine.debug = False
    loaders = [loader.__class__.__module__ for loader in engine.template_loaders]
    print(f"benchmarks run with DEBUG off, template loaders {loaders}", flush=True)


def main(argv: list[str]) -> int:
    import django
    from django.core.management import call_command

    django.setup()
    _serve_as_production()
    call_command("migrate", verbosity=0)
    modules = sorted(p.stem for p in (ROOT / "bench").glob("bench_*.py"))
    wanted = [m for m in modules if not argv or any(a in m for a in argv)]
    if not wanted:
        print("no benchmarks matched", argv)
        return 1
    for name in wanted:
        print(f"\n== {name} ==", flush=True)
        importlib.import_module(f"bench.{name}").main()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
