"""docker-compose.yml scales: `docker compose up --scale web=2 --scale worker=2` works (no
container names, no host port on web, HAProxy in front), migrations run once before web and
workers, and there is one beat."""

import shutil
import subprocess  # nosec B404 - runs the docker CLI with fixed arguments
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def compose():
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_no_service_has_a_container_name_and_only_the_proxy_publishes_a_port(compose):
    services = compose["services"]

    assert [name for name, s in services.items() if "container_name" in s] == []
    assert {name: s["ports"] for name, s in services.items() if "ports" in s} == {
        "proxy": ["8000:8000"]
    }


def test_the_proxy_is_haproxy_round_robin_over_the_web_replicas(compose):
    proxy = compose["services"]["proxy"]
    config = (ROOT / "docker" / "haproxy.cfg").read_text()

    assert proxy["image"] == "haproxy:2.9-alpine"
    assert proxy["volumes"] == ["./docker/haproxy.cfg:/usr/local/etc/haproxy/haproxy.cfg:ro"]
    assert "    balance roundrobin\n" in config
    assert "    server-template web 10 web:8000 check resolvers docker init-addr none\n" in config
    assert "    nameserver dns 127.0.0.11:53\n" in config


def test_web_and_workers_wait_for_the_one_shot_migrate_and_beat_is_single(compose):
    services = compose["services"]

    for name in ("web", "worker", "beat"):
        assert services[name]["depends_on"] == {
            "migrate": {"condition": "service_completed_successfully"}
        }
    assert services["migrate"]["restart"] == "no"
    assert services["migrate"]["command"][2].startswith("python manage.py migrate --noinput")
    assert "deploy" not in services["beat"]
    assert [name for name, s in services.items() if "beat" in " ".join(s.get("command", []))] == [
        "beat"
    ]


def test_docker_compose_config_accepts_the_file():
    docker = shutil.which("docker")
    if docker is None:
        pytest.skip("SKIPPED LOUDLY: no docker CLI here; only the YAML was checked")
    probe = subprocess.run(  # nosec B603
        [docker, "compose", "version"], capture_output=True, text=True, timeout=30, check=False
    )
    if probe.returncode != 0 or "Docker Compose" not in probe.stdout:
        pytest.skip("SKIPPED LOUDLY: docker has no compose plugin here; only the YAML was checked")
    result = subprocess.run(  # nosec B603
        [docker, "compose", "-f", str(ROOT / "docker-compose.yml"), "config", "--quiet"],
        capture_output=True,
        text=True,
        env={"SECRET_KEY": "compose-config-only", "PATH": "/usr/bin:/bin:/usr/local/bin"},
        timeout=60,
        check=False,
    )
    if result.returncode != 0 and "unknown command: docker compose" in result.stderr:
        pytest.skip("SKIPPED LOUDLY: docker has no compose plugin here; only the YAML was checked")

    assert (result.returncode, result.stderr) == (0, "")
