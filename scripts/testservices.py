"""Run a command (the test suite) against a throwaway PostgreSQL and Redis.

Each server is started from the binaries on this machine, in a temporary directory, on a free
loopback port, and removed afterwards. A missing binary is reported and the variable that
points the tests at that server is left unset, so the tests that need it are skipped loudly
(and fail the run when CI=true: see tests/conftest.py).

Usage: python scripts/testservices.py pytest [pytest args]
"""

import glob
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def find_pg_bin() -> Path | None:
    initdb = shutil.which("initdb")
    if initdb:
        return Path(initdb).resolve().parent
    candidates = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4])
    )
    return Path(candidates[-1]).parent if candidates else None


class Postgres:
    def __init__(self, bin_dir: Path):
        self.bin_dir = bin_dir
        self.tmp = Path(tempfile.mkdtemp(prefix="showroom-pg-"))
        self.data = self.tmp / "data"
        self.port = free_port()
        self.run_as = None
        if os.geteuid() == 0:
            # PostgreSQL refuses to run as root: the cluster belongs to the postgres user.
            self.run_as = "postgres"
            entry = pwd.getpwnam("postgres")
            os.chown(self.tmp, entry.pw_uid, entry.pw_gid)

    def _cmd(self, *args: str) -> list[str]:
        cmd = [str(self.bin_dir / args[0]), *args[1:]]
        return ["runuser", "-u", self.run_as, "--", *cmd] if self.run_as else cmd

    def start(self) -> str:
        subprocess.run(
            self._cmd(
                "initdb",
                "-D",
                str(self.data),
                "-U",
                "postgres",
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
                "--no-sync",
            ),
            check=True,
            stdout=subprocess.DEVNULL,
        )
        options = (
            f"-p {self.port} -k {self.tmp} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=300"
        )
        subprocess.run(
            self._cmd(
                "pg_ctl",
                "-D",
                str(self.data),
                "-l",
                str(self.tmp / "postgres.log"),
                "-o",
                options,
                "-w",
                "-t",
                "60",
                "start",
            ),
            check=True,
            stdout=subprocess.DEVNULL,
        )
        subprocess.run(
            self._cmd(
                "createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "showroom"
            ),
            check=True,
        )
        return f"postgres://postgres@127.0.0.1:{self.port}/showroom"

    def stop(self) -> None:
        subprocess.run(
            self._cmd("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop"),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            check=False,
        )
        shutil.rmtree(self.tmp, ignore_errors=True)


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
        pg_bin = find_pg_bin()
        if env.get("DATABASE_URL"):
            print("testservices: using DATABASE_URL from the environment", flush=True)
        elif pg_bin is None:
            missing.append("postgres: no initdb on PATH or in /usr/lib/postgresql/*/bin")
        elif os.geteuid() == 0 and not _user_exists("postgres"):
            missing.append(
                "postgres: running as root and there is no 'postgres' user to own the cluster"
            )
        else:
            postgres = Postgres(pg_bin)
            started.append(postgres)
            env["DATABASE_URL"] = postgres.start()
            print(f"testservices: PostgreSQL on port {postgres.port} ({pg_bin})", flush=True)
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


def _user_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
