"""bench_load's topologies (LOAD_NODES): which processes each run starts, on which ports.
Nothing here starts a process or measures a time; `make bench BENCH_ARGS=bench_load` does."""

from pathlib import Path

import pytest

from bench.bench_load import haproxy_config, node_counts, topology

BIN = Path("/venv/bin")


def _binds(argv: list[str]) -> str:
    return argv[argv.index("--bind") + 1]


def test_one_node_is_one_gunicorn_on_the_front_port_one_worker_and_one_beat(tmp_path):
    plan = topology(1, port=8000, node_ports=[], tmp=tmp_path, venv_bin=BIN, workers=3)

    assert [name for name, _argv in plan] == ["gunicorn", "worker", "beat"]
    gunicorn = dict(plan)["gunicorn"]
    assert gunicorn[0] == "/venv/bin/gunicorn"
    assert _binds(gunicorn) == "127.0.0.1:8000"
    assert gunicorn[gunicorn.index("--workers") + 1] == "3"
    assert dict(plan)["beat"][-2:] == ["--schedule", str(tmp_path / "beat")]


def test_two_nodes_are_two_masters_behind_the_proxy_two_workers_and_one_beat(tmp_path):
    plan = topology(2, port=8000, node_ports=[8001, 8002], tmp=tmp_path, venv_bin=BIN)
    processes = dict(plan)

    assert [name for name, _argv in plan] == [
        "gunicorn-1",
        "gunicorn-2",
        "proxy",
        "worker-1",
        "worker-2",
        "beat",
    ]
    assert _binds(processes["gunicorn-1"]) == "127.0.0.1:8001"
    assert _binds(processes["gunicorn-2"]) == "127.0.0.1:8002"
    assert processes["proxy"][-3:] == ["-db", "-f", str(tmp_path / "haproxy.cfg")]
    # Two worker processes with distinct node names (Celery refuses a duplicate name).
    names = [argv[argv.index("-n") + 1] for key, argv in plan if key.startswith("worker")]
    assert names == ["load1@%h", "load2@%h"]
    assert sum(1 for _key, argv in plan if "beat" in argv) == 1


def test_the_asyncio_proxy_stands_in_for_haproxy(tmp_path):
    plan = dict(topology(2, port=9000, node_ports=[9001, 9002], tmp=tmp_path, proxy="asyncio"))

    assert plan["proxy"][1].endswith("bench/rrproxy.py")
    assert plan["proxy"][2:] == ["127.0.0.1:9000", "127.0.0.1:9001", "127.0.0.1:9002"]


def test_haproxy_balances_round_robin_and_leaves_x_forwarded_for_alone():
    config = haproxy_config(port=8000, node_ports=[8001, 8002])

    assert "bind 127.0.0.1:8000" in config
    assert "balance roundrobin" in config
    assert "server web1 127.0.0.1:8001" in config
    assert "server web2 127.0.0.1:8002" in config
    assert "forwardfor" not in config


def test_load_nodes_values(tmp_path):
    assert node_counts("1") == [1]
    assert node_counts("2") == [2]
    assert node_counts("compare") == [1, 2]
    with pytest.raises(ValueError, match="LOAD_NODES must be 1, 2 or compare"):
        node_counts("3")
    with pytest.raises(ValueError, match="2 nodes need 2 ports"):
        topology(2, port=8000, node_ports=[8001], tmp=tmp_path)
