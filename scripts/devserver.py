"""`make run`: the web server plus a Celery worker with an embedded beat, stopped together.

Without CELERY_BROKER_URL the broker is kombu's file-system transport (var/celery), so the
scheduled jobs really run without Redis; with it set, the same processes use Redis.
"""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    host = os.environ.get("HOST", "127.0.0.1")
    port = os.environ.get("PORT", "8000")
    for folder in ("var/celery/queue", "var/celery/processed", "var/media"):
        (ROOT / folder).mkdir(parents=True, exist_ok=True)
    python = sys.executable
    worker = subprocess.Popen(
        [
            python,
            "-m",
            "celery",
            "-A",
            "dealership",
            "worker",
            "--beat",
            "--loglevel=INFO",
            "--concurrency=2",
            "--schedule",
            str(ROOT / "var" / "celerybeat-schedule"),
        ],
        cwd=ROOT,
    )
    web = subprocess.Popen([python, "manage.py", "runserver", f"{host}:{port}"], cwd=ROOT)
    print(
        f"\n  Showroom:  http://{host}:{port}/\n  Staff UI:  http://{host}:{port}/staff/"
        f"\n  Admin:     http://{host}:{port}/admin/\n  Ctrl-C stops the web server and the worker.\n",
        flush=True,
    )
    children = [web, worker]
    try:
        while all(child.poll() is None for child in children):
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        for child in children:
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        for child in children:
            try:
                child.wait(timeout=15)
            except subprocess.TimeoutExpired:
                child.kill()
    return 0


if __name__ == "__main__":
    sys.exit(main())
