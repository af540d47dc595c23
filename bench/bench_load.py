"""The load test: visitors and consultants at once against gunicorn, PostgreSQL, Redis and a
real Celery worker and beat, then the integrity checks (no slot double-booked, no message
sent twice).

    make bench BENCH_ARGS=bench_load
    LOAD_USERS=30 LOAD_DURATION=5m make bench BENCH_ARGS=bench_load

What it does, in order:
1. Seeds the demo dealership (seed_demo) and LOAD_VEHICLES more cars in its three branches
   (set-based SQL, bench_showroom.generate), and lifts the demo's SMS quiet hours so text
   messages go out during the run instead of waiting for 08:00.
2. collectstatic into a temporary folder, then starts with production settings (DEBUG off, a
   random SECRET_KEY, ALLOWED_HOSTS, the Redis cache and broker, whitenoise's manifest
   storage): gunicorn (3 sync workers, as the Dockerfile), one Celery worker (concurrency 2)
   and one beat, with file backends for email and SMS so every provider call is on disk.
3. Runs bench/locustfile.py headless for LOAD_DURATION with LOAD_USERS users (one /healthz
   probe, the rest 4 visitors to 1 consultant), then prints requests per second, p50/p95 per
   request name, each p50's ratio to the probe's (the floor: the cheapest request through
   the same stack, in the same run) and failures.
4. Waits for the outbox to drain, stops everything it started, and checks the database and
   the providers' files: overlapping active bookings per vehicle and per consultant, dedupe
   keys, the same message to the same address twice, and provider sends against outbox rows.

Rate limits stay at their production values. The public forms count submissions per client
address in the shared cache, and every locust user connects from 127.0.0.1, as every visitor
does through a reverse proxy. So the site runs as it would behind one: TRUSTED_PROXY_COUNT=1,
and each locust visitor sends its own address in X-Forwarded-For (a new one for each enquiry
and booking: a new person), each consultant one of its own. The rate limits and the login
lockout (django-axes, failures per username and address) both take the client's address from
that header (dealership/accounts/client_ip.py). A 429 or a lockout would count as a failure.

Topologies (LOAD_NODES):
- 1 (the default): one gunicorn master (LOAD_GUNICORN_WORKERS sync workers) on the port locust
  calls, one Celery worker, one beat.
- 2: two separate gunicorn masters (each with LOAD_GUNICORN_WORKERS workers) on two loopback
  ports behind a round-robin HTTP proxy on the port locust calls, two Celery worker processes
  (concurrency 2 each) and one beat, all on the one PostgreSQL and one Redis. The proxy is
  haproxy (`balance roundrobin`, per request); without one on the machine, root installs the
  Debian package when apt has it, else bench/rrproxy.py (a small asyncio TCP round-robin
  proxy, per connection) stands in. The proxy passes X-Forwarded-For through untouched (no
  `option forwardfor`), so TRUSTED_PROXY_COUNT=1 reads each visitor's own address exactly as
  with one node.
- compare: 1, then 2, on the same data (seeded once), then a table of requests per second,
  p50, p95 and errors for each and the 2/1 ratios, and each run's integrity checks. The second
  run starts with the first run's bookings in place, so it finds slightly fewer free slots.
  On a machine with few cores two nodes share the same cores: the ratio then measures the
  cost of the extra processes and the proxy hop, not added capacity.

    LOAD_NODES=compare LOAD_DURATION=45s make bench BENCH_ARGS=bench_load

Timing lives here and in locust's figures only: nothing asserts a time.
"""

import csv
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent

USERS = int(os.environ.get("LOAD_USERS", "24"))
SPAWN_RATE = float(os.environ.get("LOAD_SPAWN_RATE", "4"))
DURATION = os.environ.get("LOAD_DURATION", "3m")
VEHICLES = int(os.environ.get("LOAD_VEHICLES", "3000"))
WORKERS = int(os.environ.get("LOAD_GUNICORN_WORKERS", "3"))
NODES = os.environ.get("LOAD_NODES", "1")

FLOOR_NAME = "floor: healthz"  # bench/locustfile.py's HealthProbe
CONSULTANTS = ["anna", "jonas", "ines", "mikko"]  # the demo's consultants (dealership/ops/demo)


# --- Locust's figures -----------------------------------------------------------------------


def read_stats(prefix: str | Path) -> list[dict]:
    """Per request name, from locust's final `<prefix>.json` (written at shutdown, unlike the
    CSV files, which are refreshed every second): type, name, requests, failures, p50 and p95
    (ms, locust's own percentile rule over its rounded response times) and requests per
    second over the whole run."""
    with open(f"{prefix}.json", encoding="utf-8") as handle:
        entries = json.load(handle)
    if not entries:
        return []
    started = min(e["start_time"] for e in entries)
    ended = max(e["last_request_timestamp"] or e["start_time"] for e in entries)
    seconds = max(ended - started, 1e-9)
    rows = []
    for e in entries:
        times = {int(float(k)): n for k, n in e["response_times"].items()}
        rows.append(
            {
                "type": e["method"],
                "name": e["name"],
                "requests": e["num_requests"],
                "failures": e["num_failures"],
                "p50": _percentile(times, e["num_requests"], 0.50),
                "p95": _percentile(times, e["num_requests"], 0.95),
                "rps": e["num_requests"] / seconds,
            }
        )
    return rows


def _percentile(times: dict[int, int], count: int, percent: float) -> int:
    """locust.stats.calculate_response_time_percentile, on the JSON's histogram."""
    allowed = int(count * percent)
    seen = 0
    for value in sorted(times, reverse=True):
        seen += times[value]
        if count - seen <= allowed:
            return value
    return 0


def overall_stats(prefix: str | Path) -> dict:
    """All requests together (not the outcomes): rps over the run, p50 and p95 (ms) of the
    merged histograms, requests, errors and the error rate."""
    with open(f"{prefix}.json", encoding="utf-8") as handle:
        entries = [e for e in json.load(handle) if e["method"] != "OUTCOME"]
    if not entries:
        return {"requests": 0, "errors": 0, "error_rate": 0.0, "rps": 0.0, "p50": 0, "p95": 0}
    started = min(e["start_time"] for e in entries)
    ended = max(e["last_request_timestamp"] or e["start_time"] for e in entries)
    merged: Counter = Counter()
    for e in entries:
        for key, count in e["response_times"].items():
            merged[int(float(key))] += count
    requests = sum(e["num_requests"] for e in entries)
    errors = sum(e["num_failures"] for e in entries)
    return {
        "requests": requests,
        "errors": errors,
        "error_rate": errors / requests if requests else 0.0,
        "rps": requests / max(ended - started, 1e-9),
        "p50": _percentile(merged, requests, 0.50),
        "p95": _percentile(merged, requests, 0.95),
    }


def read_failures(prefix: str | Path) -> list[dict]:
    path = Path(f"{prefix}_failures.csv")
    if not path.exists():
        return []
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def print_stats(rows: list[dict], failures: list[dict]) -> dict:
    """Print the table; return the totals (requests, failures, error rate, rps)."""
    requests = [r for r in rows if r["type"] != "OUTCOME"]
    outcomes = [r for r in rows if r["type"] == "OUTCOME"]
    floor = next((r for r in requests if r["name"] == FLOOR_NAME), None)
    print(
        f"\n{'request':<28}{'type':<6}{'count':>8}{'fail':>6}{'rps':>8}{'p50 ms':>9}{'p95 ms':>9}"
        f"{'p50/floor':>11}"
    )
    for r in sorted(requests, key=lambda r: -r["requests"]):
        ratio = f"{r['p50'] / floor['p50']:>10.2f}x" if floor and floor["p50"] else ""
        print(
            f"{r['name']:<28}{r['type']:<6}{r['requests']:>8}{r['failures']:>6}{r['rps']:>8.2f}"
            f"{r['p50']:>9}{r['p95']:>9}{ratio}"
        )
    if floor:
        print(f"(the floor: GET /healthz, p50 {floor['p50']} ms, measured in the same run)")
    total = sum(r["requests"] for r in requests)
    failed = sum(r["failures"] for r in requests)
    totals = {
        "requests": total,
        "failures": failed,
        "error_rate": failed / total if total else 0.0,
        "rps": sum(r["rps"] for r in requests),
    }
    print(
        f"{'all requests':<34}{total:>8}{failed:>6}{totals['rps']:>8.2f}"
        f"   error rate {totals['error_rate']:.2%} (goal 0)"
    )
    for o in outcomes:
        print(f"outcome: {o['name']:<40}{o['requests']:>6}  (correct answers, not errors)")
    for f in failures[:20]:
        print(
            f"FAILURE {f.get('Method')} {f.get('Name')}: {f.get('Error')} x{f.get('Occurrences')}"
        )
    return totals


# --- Processes ------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _redis_url(db: int) -> str:
    base = os.environ["REDIS_URL"].rsplit("/", 1)[0]
    return f"{base}/{db}"


def server_env(tmp: Path, port: int) -> dict[str, str]:
    """Production settings for gunicorn, the worker and the beat (see the module docstring)."""
    env = dict(os.environ)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "dealership.settings",
            "DEBUG": "false",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "CONN_MAX_AGE": "60",
            "CACHE_URL": _redis_url(1),
            "CELERY_BROKER_URL": _redis_url(0),
            "CELERY_TASK_ALWAYS_EAGER": "false",
            "STATIC_ROOT": str(tmp / "static"),
            "MEDIA_ROOT": str(tmp / "media"),
            "EMAIL_URL": f"filemail:///{tmp / 'mail'}",
            "MESSAGING_SMS_BACKEND": "dealership.messaging.backends.FileSmsBackend",
            "MESSAGING_SMS_FILE_PATH": str(tmp / "sms"),
            "SITE_URL": f"http://127.0.0.1:{port}",
            # Plain HTTP on the loopback: no TLS proxy in front of this gunicorn.
            "SECURE_SSL_REDIRECT": "false",
            "SESSION_COOKIE_SECURE": "false",
            "CSRF_COOKIE_SECURE": "false",
            "SECURE_HSTS_SECONDS": "0",
            # As behind one reverse proxy (see the module docstring).
            "TRUSTED_PROXY_COUNT": "1",
            "LOG_LEVEL": "WARNING",
        }
    )
    for name in ("LOAD_SMOKE",):
        env.pop(name, None)
    return env


class Processes:
    """The server processes this run started, each in its own process group; stopped by id."""

    def __init__(self, logs: Path):
        self.logs = logs
        self.started: list[tuple[str, subprocess.Popen]] = []
        self.log_files: list = []

    def start(self, name: str, argv: list[str], env: dict[str, str]) -> subprocess.Popen:
        log = open(self.logs / f"{name}.log", "wb")  # noqa: SIM115 - closed in stop()
        self.log_files.append(log)
        # Our own fixed commands (the venv's gunicorn and celery), no outside input.
        process = subprocess.Popen(  # noqa: S603
            argv, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        self.started.append((name, process))
        return process

    def stop(self) -> None:
        for _name, process in reversed(self.started):
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + 30
        for _name, process in reversed(self.started):
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        self.started.clear()
        for log in self.log_files:
            log.close()
        self.log_files.clear()

    def tail(self, name: str, lines: int = 30) -> str:
        path = self.logs / f"{name}.log"
        if not path.exists():
            return ""
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


# --- Topology -------------------------------------------------------------------------------


def node_counts(value: str) -> list[int]:
    """LOAD_NODES: "1", "2" or "compare" (1 then 2)."""
    if value == "compare":
        return [1, 2]
    if value in ("1", "2"):
        return [int(value)]
    raise ValueError(f"LOAD_NODES must be 1, 2 or compare, not {value!r}")


def topology(
    nodes: int,
    *,
    port: int,
    node_ports: list[int],
    tmp: Path,
    proxy: str = "haproxy",
    venv_bin: Path = VENV_BIN,
    workers: int = WORKERS,
) -> list[tuple[str, list[str]]]:
    """The processes of one run, in start order, as (name, argv). One node: gunicorn on
    `port`. Two: a gunicorn master per `node_ports` entry and the proxy on `port` (haproxy
    with tmp/haproxy.cfg from haproxy_config(), or bench/rrproxy.py). Then one Celery worker
    per node and one beat."""
    if nodes < 1:
        raise ValueError("at least one node")
    if nodes > 1 and len(node_ports) != nodes:
        raise ValueError(f"{nodes} nodes need {nodes} ports, got {node_ports}")
    binds = [port] if nodes == 1 else list(node_ports)
    processes: list[tuple[str, list[str]]] = []
    for index, bind in enumerate(binds, start=1):
        processes.append(
            (
                "gunicorn" if nodes == 1 else f"gunicorn-{index}",
                [
                    str(venv_bin / "gunicorn"),
                    "dealership.wsgi:application",
                    "--bind",
                    f"127.0.0.1:{bind}",
                    "--workers",
                    str(workers),
                    "--timeout",
                    "60",
                ],
            )
        )
    if nodes > 1:
        if proxy == "haproxy":
            argv = [shutil.which("haproxy") or "/usr/sbin/haproxy", "-db"]
            argv += ["-f", str(tmp / "haproxy.cfg")]
        elif proxy == "asyncio":
            argv = [sys.executable, str(ROOT / "bench" / "rrproxy.py"), f"127.0.0.1:{port}"]
            argv += [f"127.0.0.1:{p}" for p in node_ports]
        else:
            raise ValueError(f"unknown proxy {proxy!r}")
        processes.append(("proxy", argv))
    celery = str(venv_bin / "celery")
    for index in range(1, nodes + 1):
        processes.append(
            (
                "worker" if nodes == 1 else f"worker-{index}",
                [
                    celery,
                    "-A",
                    "dealership",
                    "worker",
                    "--concurrency=2",
                    "-n",
                    f"load{index}@%h",
                    "-l",
                    "WARNING",
                ],
            )
        )
    processes.append(
        (
            "beat",
            [celery, "-A", "dealership", "beat", "-l", "WARNING", "--schedule", str(tmp / "beat")],
        )
    )
    return processes


def haproxy_config(*, port: int, node_ports: list[int]) -> str:
    """Round robin per request over the nodes. No `option forwardfor`: the visitor's own
    X-Forwarded-For reaches gunicorn as it was sent (see the module docstring)."""
    servers = "\n".join(
        f"    server web{i} 127.0.0.1:{p} check inter 2s" for i, p in enumerate(node_ports, 1)
    )
    return f"""global
    maxconn 2000

defaults
    mode http
    timeout connect 5s
    timeout client 90s
    timeout server 90s
    option http-keep-alive

frontend web
    bind 127.0.0.1:{port}
    default_backend nodes

backend nodes
    balance roundrobin
{servers}
"""


def find_proxy() -> str:
    """haproxy when the machine has it (root installs Debian's package if apt offers one),
    else the asyncio proxy in bench/rrproxy.py."""
    if shutil.which("haproxy") or Path("/usr/sbin/haproxy").exists():
        return "haproxy"
    if os.geteuid() == 0 and shutil.which("apt-get"):
        policy = subprocess.run(
            ["apt-cache", "policy", "haproxy"],  # noqa: S607
            capture_output=True,
            text=True,
            check=False,
        ).stdout
        if "Candidate:" in policy and "Candidate: (none)" not in policy:
            print("installing haproxy (apt-get)", flush=True)
            subprocess.run(
                ["apt-get", "install", "-y", "-q", "haproxy"],  # noqa: S607
                check=False,
                stdout=subprocess.DEVNULL,
            )
            if shutil.which("haproxy") or Path("/usr/sbin/haproxy").exists():
                return "haproxy"
    print("no haproxy: bench/rrproxy.py (asyncio, round robin per connection) instead")
    return "asyncio"


def load_average(when: str) -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {when}: {one:.2f} {five:.2f} {fifteen:.2f} ({os.cpu_count()} cores)"


def wait_for_http(url: str, *, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - loopback
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise RuntimeError(f"{url} did not answer 200 within {timeout:.0f} s")


# --- Data -----------------------------------------------------------------------------------


def prepare_data() -> dict[str, int]:
    """The demo dealership plus VEHICLES cars in its branches; SMS quiet hours lifted."""
    import datetime

    from django.core.management import call_command

    from bench.bench_showroom import generate
    from dealership.accounts.models import Location
    from dealership.messaging.models import QuietHours
    from inventory.models import Vehicle

    started = time.perf_counter()
    with open(os.devnull, "w") as quiet:
        call_command("seed_demo", stdout=quiet)
    locations = list(Location.objects.order_by("pk").values_list("pk", flat=True))
    generate(VEHICLES, location_ids=locations)
    midnight = datetime.time(0, 0)
    QuietHours.objects.update(start=midnight, end=midnight)  # start == end: no quiet hours
    print(f"data ready in {time.perf_counter() - started:.1f} s", flush=True)
    return {"vehicles": Vehicle.objects.count(), "locations": len(locations)}


def high_water_marks() -> dict[str, int]:
    from django.db.models import Max

    from dealership.messaging.models import OutboxMessage
    from leads.models import Activity, Lead
    from testdrives.models import Booking

    marks = {
        name: model.objects.aggregate(m=Max("pk"))["m"] or 0
        for name, model in (
            ("booking", Booking),
            ("lead", Lead),
            ("activity", Activity),
            ("outbox", OutboxMessage),
        )
    }
    # Rows sent before this run (an earlier topology's, under LOAD_NODES=compare): this run's
    # provider files hold only what its own workers sent, so they are compared with the rows
    # sent since. Nothing sends between two runs: no worker is up.
    marks.update(sent_counts())
    return marks


def sent_counts() -> dict[str, int]:
    from dealership.messaging.models import Channel, OutboxMessage

    sent = OutboxMessage.objects.filter(
        status__in=[OutboxMessage.Status.SENT, OutboxMessage.Status.DELIVERED]
    )
    return {
        "sent_sms": sent.filter(channel=Channel.SMS).count(),
        "sent_email": sent.filter(channel=Channel.EMAIL).count(),
    }


def wait_for_outbox(*, timeout: float = 120) -> int:
    """Wait until no message is due and unsent (the worker and the flush catch up); returns
    how many are still due at the end (0 when the outbox drained)."""
    from django.db import connection
    from django.utils import timezone

    from dealership.messaging.models import OutboxMessage

    deadline = time.monotonic() + timeout
    while True:
        due = OutboxMessage.objects.filter(
            status__in=[OutboxMessage.Status.QUEUED, OutboxMessage.Status.SENDING],
            send_after__lte=timezone.now(),
        ).count()
        if due == 0 or time.monotonic() > deadline:
            connection.close()
            return due
        time.sleep(2)


# --- Integrity ------------------------------------------------------------------------------


OVERLAP_SQL = """
    SELECT count(*) FROM testdrives_booking a
    JOIN testdrives_booking b
      ON a.{column} = b.{column} AND a.id < b.id
     AND tstzrange(a.start_at, a.busy_until) && tstzrange(b.start_at, b.busy_until)
    WHERE a.status = ANY(%s) AND b.status = ANY(%s)
"""


def integrity_checks(*, marks: dict[str, int], tmp: Path) -> dict[str, int]:
    """Counts that must be zero (`*_overlaps`, `duplicate_*`, `*_unaccounted`), and context."""
    from django.db import connection

    from dealership.messaging.models import OutboxMessage
    from leads.models import Activity, Lead
    from testdrives.models import ACTIVE_STATUSES, Booking

    active = [str(s) for s in ACTIVE_STATUSES]
    result: dict[str, int] = {}
    with connection.cursor() as cursor:
        for column in ("vehicle_id", "consultant_id"):
            # Only the two literal column names above are formatted in.
            cursor.execute(OVERLAP_SQL.format(column=column), [active, active])  # nosec B608
            result[f"{column.removesuffix('_id')}_overlaps"] = cursor.fetchone()[0]
        cursor.execute(
            "SELECT count(*) FROM (SELECT dedupe_key FROM messaging_outboxmessage "
            "GROUP BY dedupe_key HAVING count(*) > 1) d"
        )
        result["duplicate_dedupe_keys"] = cursor.fetchone()[0]
        # The same text sent to the same address twice under different keys would be a
        # double send the unique constraint cannot see. (Scheduled reminders may share a
        # text with each other; they are not sent yet and not counted.)
        cursor.execute(
            "SELECT channel, template_key, count(*) FROM messaging_outboxmessage "
            "WHERE id > %s AND status IN ('sent', 'delivered') "
            'GROUP BY channel, template_key, "to", subject, body HAVING count(*) > 1',
            [marks["outbox"]],
        )
        repeats = cursor.fetchall()
        result["duplicate_sends_in_run"] = len(repeats)
        for channel, template, count in repeats[:5]:
            print(f"  repeated: {channel} {template} x{count}")

    now_sent = sent_counts()
    sms_requests = _lines(tmp / "sms" / "requests.log")
    sms_files = len(list((tmp / "sms").glob("*.json"))) if (tmp / "sms").exists() else 0
    sms_sent = now_sent["sent_sms"] - marks.get("sent_sms", 0)
    result["sms_provider_calls"] = len(sms_requests)
    result["sms_delivered"] = sms_files
    result["sms_sent_rows"] = sms_sent
    result["sms_repeated_calls"] = len(sms_requests) - len(set(sms_requests))
    result["sms_unaccounted"] = abs(sms_files - sms_sent)

    message_ids = _email_message_ids(tmp / "mail")
    email_sent = now_sent["sent_email"] - marks.get("sent_email", 0)
    counts = Counter(message_ids)
    result["emails_written"] = len(message_ids)
    result["email_sent_rows"] = email_sent
    result["duplicate_emails"] = sum(n - 1 for n in counts.values() if n > 1)
    result["email_unaccounted"] = abs(len(counts) - email_sent)

    result["bookings_in_run"] = Booking.objects.filter(pk__gt=marks["booking"]).count()
    result["leads_in_run"] = Lead.objects.filter(pk__gt=marks["lead"]).count()
    result["activities_in_run"] = Activity.objects.filter(pk__gt=marks["activity"]).count()
    result["messages_in_run"] = OutboxMessage.objects.filter(pk__gt=marks["outbox"]).count()
    result["messages_failed"] = OutboxMessage.objects.filter(
        pk__gt=marks["outbox"], status=OutboxMessage.Status.FAILED
    ).count()
    return result


class ServerLog:
    """The PostgreSQL server's log (scripts/testservices.py keeps it beside the data
    directory): how often the exclusion constraints refused a booking during the run, i.e.
    how often the database, not the Python check, settled a race. Best effort: None when the
    log cannot be read (another server layout, no superuser)."""

    CONSTRAINTS = ("booking_vehicle_no_overlap", "booking_consultant_no_overlap")

    def __init__(self):
        from django.db import connection

        self.path = None
        self.offset = 0
        try:
            with connection.cursor() as cursor:
                cursor.execute("SHOW data_directory")
                path = Path(cursor.fetchone()[0]).parent / "postgres.log"
            self.offset = path.stat().st_size
            self.path = path
        except Exception as error:  # a figure we can live without
            print(f"(PostgreSQL log not readable: {error})")

    def refusals(self) -> dict[str, int] | None:
        if self.path is None:
            return None
        with open(self.path, "rb") as handle:
            handle.seek(self.offset)
            text = handle.read().decode(errors="replace")
        return {
            name: text.count(f'violates exclusion constraint "{name}"') for name in self.CONSTRAINTS
        }


def _lines(path: Path) -> list[str]:
    return path.read_text().split() if path.exists() else []


def _email_message_ids(folder: Path) -> list[str]:
    ids = []
    if folder.exists():
        for path in folder.iterdir():
            for line in path.read_text(errors="replace").splitlines():
                if line.lower().startswith("message-id:"):
                    ids.append(line.split(":", 1)[1].strip())
    return ids


def print_integrity(result: dict[str, int]) -> bool:
    must_be_zero = [
        k for k in result if k.endswith(("_overlaps", "_unaccounted")) or k.startswith("duplicate_")
    ]
    print("\nintegrity after the run:")
    for key, value in result.items():
        flag = ""
        if key in must_be_zero:
            flag = "  OK" if value == 0 else "  <-- MUST BE 0"
        print(f"  {key:<28}{value:>8}{flag}")
    return all(result[k] == 0 for k in must_be_zero)


def run_locust(*, host: str, prefix: Path, env: dict, log) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603 - the venv's locust, our own arguments
        [
            str(VENV_BIN / "locust"),
            "-f",
            str(ROOT / "bench" / "locustfile.py"),
            "--headless",
            "--only-summary",
            "-u",
            str(USERS),
            "-r",
            str(SPAWN_RATE),
            "-t",
            DURATION,
            "--host",
            host,
            "--csv",
            str(prefix),
            "--json-file",
            str(prefix),
            "--loglevel",
            "WARNING",
            "--stop-timeout",
            "10",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=log,
        check=False,
    )


# --- main -----------------------------------------------------------------------------------


def run_topology(nodes: int, *, counts: dict[str, int], proxy: str) -> dict:
    """Start the processes of `nodes` nodes, run locust against the front port, stop them and
    check integrity; returns the overall figures and the integrity result."""
    print(f"\n--- {nodes} node{'s' if nodes > 1 else ''} ---", flush=True)
    marks = high_water_marks()
    server_log = ServerLog()
    tmp = Path(tempfile.mkdtemp(prefix=f"showroom-load-{nodes}n-"))
    port = _free_port()
    node_ports = [_free_port() for _ in range(nodes)] if nodes > 1 else []
    env = server_env(tmp, port)
    processes = Processes(tmp)
    host = f"http://127.0.0.1:{port}"
    plan = topology(nodes, port=port, node_ports=node_ports, tmp=tmp, proxy=proxy)
    try:
        subprocess.run(
            [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"],
            cwd=ROOT,
            env=env,
            check=True,
        )
        if nodes > 1 and proxy == "haproxy":
            (tmp / "haproxy.cfg").write_text(haproxy_config(port=port, node_ports=node_ports))
        for name, argv in plan:
            processes.start(name, argv, env)
        for node_port in node_ports:
            wait_for_http(f"http://127.0.0.1:{node_port}/healthz")
        wait_for_http(f"{host}/healthz")
        front = f"{proxy} on {host} -> " if nodes > 1 else ""
        print(
            f"{counts['vehicles']} vehicles in {counts['locations']} branches; {front}"
            f"{nodes} gunicorn ({WORKERS} workers each), {nodes} Celery worker(s), 1 beat; "
            f"locust: {USERS} users, {SPAWN_RATE}/s, {DURATION}",
            flush=True,
        )
        prefix = tmp / "locust"
        locust_env = dict(os.environ)
        locust_env.update(
            {"LOAD_CONSULTANTS": ",".join(CONSULTANTS), "LOAD_PASSWORD": "showroom-demo"}
        )
        started = time.perf_counter()
        with open(tmp / "locust.log", "wb") as locust_log:
            locust = run_locust(host=host, prefix=prefix, env=locust_env, log=locust_log)
        print(
            f"locust ran {time.perf_counter() - started:.0f} s, exit code {locust.returncode}",
            flush=True,
        )
        print(load_average("at the end of the run"), flush=True)
        print_stats(read_stats(prefix), read_failures(prefix))
        figures = overall_stats(prefix)
        still_due = wait_for_outbox()
        print(f"\noutbox: {still_due} messages still due after waiting for the workers")
    except Exception:
        for name, _argv in plan:
            print(f"--- {name} log ---\n{processes.tail(name)}")
        raise
    finally:
        processes.stop()
    result = integrity_checks(marks=marks, tmp=tmp)
    ok = print_integrity(result)
    refusals = server_log.refusals()
    if refusals is not None:
        print(
            "inserts the exclusion constraints refused (races settled by PostgreSQL; a refused "
            "consultant is retried with the next one on duty): "
            + ", ".join(f"{name} {count}" for name, count in refusals.items())
        )
    print("integrity:", "all checks passed" if ok else "FAILED", flush=True)
    if os.environ.get("LOAD_KEEP_FILES"):
        print(f"files kept in {tmp}")
    else:
        shutil.rmtree(tmp, ignore_errors=True)
    return {**figures, "integrity_ok": ok, "still_due": still_due}


def print_comparison(results: dict[int, dict]) -> None:
    print(f"\n{'topology':<12}{'requests':>10}{'rps':>9}{'p50 ms':>9}{'p95 ms':>9}{'errors':>8}")
    for nodes, r in results.items():
        print(
            f"{f'{nodes} node(s)':<12}{r['requests']:>10}{r['rps']:>9.2f}{r['p50']:>9}"
            f"{r['p95']:>9}{r['errors']:>8}   integrity "
            + ("passed" if r["integrity_ok"] else "FAILED")
        )
    if 1 in results and 2 in results:
        one, two = results[1], results[2]

        def ratio(key):
            return f"{two[key] / one[key]:.2f}x" if one[key] else "n/a"

        print(
            f"2/1: rps {ratio('rps')}, p50 {ratio('p50')}, p95 {ratio('p95')}; errors "
            f"{one['errors']} -> {two['errors']} ({os.cpu_count()} cores on this machine)"
        )


def main() -> None:
    from django.conf import settings

    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql" or not (
        os.environ.get("REDIS_URL")
    ):
        print("bench_load needs PostgreSQL and Redis: run it through `make bench`.")
        return
    topologies = node_counts(NODES)
    proxy = find_proxy() if max(topologies) > 1 else ""
    print(load_average("before the run"), flush=True)
    counts = prepare_data()
    results = {nodes: run_topology(nodes, counts=counts, proxy=proxy) for nodes in topologies}
    print_comparison(results)
