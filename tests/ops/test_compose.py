"""docker-compose.yml scales: `docker compose up --scale web=2 --scale worker=2` works (no
container names, no host port on web, HAProxy in front), migrations run once before web and
workers, and there is one beat."""

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


def test_every_reference_in_the_file_resolves(compose):
    """What `docker compose config` would refuse, checked without docker (CI has no compose
    plugin): unknown services in depends_on, undeclared named volumes, missing bind-mount
    sources or build context, unpinned images."""
    services = compose["services"]
    declared_volumes = set(compose["volumes"])
    problems = []
    for name, service in services.items():
        depends = service.get("depends_on", {})
        for other in depends if isinstance(depends, list) else depends.keys():
            if other not in services:
                problems.append(f"{name}: depends_on unknown service {other}")
        for volume in service.get("volumes", []):
            source = volume.split(":", 1)[0]
            if source.startswith("."):
                if not (ROOT / source).exists():
                    problems.append(f"{name}: bind mount {source} does not exist")
            elif source not in declared_volumes:
                problems.append(f"{name}: named volume {source} is not declared")
        if "build" in service:
            context = ROOT / service["build"]["context"]
            if not (context / "Dockerfile").is_file():
                problems.append(f"{name}: no Dockerfile in build context")
        elif ":" not in service["image"] or service["image"].endswith(":latest"):
            problems.append(f"{name}: image {service['image']} is not pinned to a version")

    assert problems == []


def test_the_app_environment_names_settings_that_exist(compose):
    """Each variable the stack sets is one the settings read: a typo would be silently ignored."""
    settings_source = (ROOT / "dealership" / "settings.py").read_text()
    environment = compose["services"]["web"]["environment"]

    assert [key for key in environment if f'"{key}"' not in settings_source] == []
