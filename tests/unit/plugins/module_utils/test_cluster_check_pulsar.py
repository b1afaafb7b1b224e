"""The readiness check for Pulsar destinations: no shared filesystem, but Pulsar's URL and token, the broker's
credentials and Galaxy's URL reachable from each side (issue 17). The probes run against small fake servers on
127.0.0.1: an HTTP server that answers like Pulsar and Galaxy, and an AMQP 0-9-1 broker that speaks the login."""

import http.server
import json
import socket
import struct
import threading

import pytest

from ansible_collections.gxhpc.cluster.plugins.module_utils import cluster_check as cc
from ansible_collections.gxhpc.cluster.plugins.module_utils import cluster_gather as cg
from ansible_collections.gxhpc.cluster.plugins.module_utils.cluster_check_plan import plan
from ansible_collections.gxhpc.cluster.plugins.module_utils.job_conf import pulsar_destinations, uses_shared_filesystem

TOKEN = "t0ken-3b8e"  # noqa: S105  a test token
PASSWORD = "amqp-Pw-5d21"  # noqa: S105  a test broker password
JOB_CONF = {
    "runners": {
        "local": {"load": "galaxy.jobs.runners.local:LocalJobRunner"},
        "pulsar_rest": {"load": "galaxy.jobs.runners.pulsar:PulsarRESTJobRunner"},
        "pulsar_mq": {
            "load": "galaxy.jobs.runners.pulsar:PulsarMQJobRunner",
            "amqp_url": f"amqp://gx:{PASSWORD}@broker:5672/pulsar",
            "galaxy_url": "http://galaxy:8080",
        },
    },
    "execution": {
        "default": "pulsar",
        "environments": {
            "local": {"runner": "local"},
            "pulsar": {"runner": "pulsar_rest", "url": "http://hpc:8913/", "private_token": TOKEN},
            "pulsar_mq": {"runner": "pulsar_mq", "jobs_directory": "/var/lib/pulsar/mq-staging"},
        },
    },
}
SLURM_RUNNER = {"slurm": {"load": "galaxy.jobs.runners.slurm:SlurmJobRunner"}}


# --- what the job conf says -----------------------------------------------------------------------------------


def test_pulsar_destinations_of_a_job_conf():
    assert pulsar_destinations(JOB_CONF) == [
        {
            "environment": "pulsar",
            "runner": "pulsar_rest",
            "transport": "rest",
            "url": "http://hpc:8913/",
            "private_token": TOKEN,
            "amqp_url": "",
            "galaxy_url": "",
        },
        {
            "environment": "pulsar_mq",
            "runner": "pulsar_mq",
            "transport": "mq",
            "url": "",
            "private_token": "",
            "amqp_url": f"amqp://gx:{PASSWORD}@broker:5672/pulsar",
            "galaxy_url": "http://galaxy:8080",
        },
    ]
    disabled = {**JOB_CONF, "runners": {**JOB_CONF["runners"], "pulsar_mq": {**JOB_CONF["runners"]["pulsar_mq"]}}}
    disabled["runners"]["pulsar_mq"]["enabled"] = False
    assert [d["environment"] for d in pulsar_destinations(disabled)] == ["pulsar"]
    assert pulsar_destinations({}) == [] and pulsar_destinations(None) == []


@pytest.mark.parametrize(
    ("runners", "shared"),
    [
        (JOB_CONF["runners"], False),  # Pulsar and the local runner only
        ({**JOB_CONF["runners"], **SLURM_RUNNER}, True),  # Slurm too: Galaxy shares its filesystem with it
        ({"local": JOB_CONF["runners"]["local"]}, True),  # no Pulsar: as before Pulsar was known
        ({}, True),  # no job conf (the check without galaxy_jobs)
        ({**JOB_CONF["runners"], "slurm": dict(SLURM_RUNNER["slurm"], enabled=False)}, False),
    ],
)
def test_uses_shared_filesystem(runners, shared):
    assert uses_shared_filesystem({"runners": runners}) is shared


def test_a_pulsar_only_galaxy_servers_part_in_the_plan():
    settings = {
        "cluster_check_paths": [],
        "cluster_check_clock_tolerance": 300,
        "cluster_check_job_wait": 60,
        "cluster_check_galaxy_hosts": ["galaxy"],
        "cluster_check_pulsar_hosts": ["hpc"],
        "cluster_check_job_conf": JOB_CONF,
    }
    facts = {"slurm_roles": {"galaxy": [], "hpc": ["controller", "exec"]}, "group_names": {}}
    galaxy = plan(settings, dict(facts, inventory_hostname="galaxy"))
    assert galaxy["problems"] == []
    assert galaxy["roles"] == ["pulsar_galaxy"]
    assert [d["transport"] for d in galaxy["pulsar_destinations"]] == ["rest", "mq"]
    hpc = plan(settings, dict(facts, inventory_hostname="hpc"))
    assert hpc["roles"] == ["exec", "pulsar", "controller"]
    assert hpc["pulsar_destinations"] == []  # only Galaxy servers read the job conf
    shared = plan(
        dict(settings, cluster_check_job_conf={"runners": SLURM_RUNNER}), dict(facts, inventory_hostname="galaxy")
    )
    assert shared["roles"] == ["galaxy"]


def test_what_each_side_probes():
    destinations = pulsar_destinations(JOB_CONF)
    galaxy = cg.pulsar_probes("galaxy", destinations)
    assert [(key, kind, token) for key, kind, _url, token in galaxy] == [
        ("pulsar http://hpc:8913/", "pulsar", TOKEN),
        ("broker amqp://gx:***@broker:5672/pulsar", "broker", ""),
    ]
    pulsar = cg.pulsar_probes("pulsar", destinations + destinations)  # two Galaxy servers, one broker: once
    assert [key for key, *_rest in pulsar] == ["broker amqp://gx:***@broker:5672/pulsar", "galaxy http://galaxy:8080"]
    assert all(PASSWORD not in key for key, *_rest in galaxy + pulsar)


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        (f"amqp://gx:{PASSWORD}@broker:5672/pulsar", "amqp://gx:***@broker:5672/pulsar"),
        ("amqp://broker/", "amqp://broker/"),
        ("http://hpc:8913/", "http://hpc:8913/"),
    ],
)
def test_redact_url(url, shown):
    assert cg.redact_url(url) == shown


@pytest.mark.parametrize(
    ("url", "target"),
    [
        ("amqp://gx:p%40ss@broker:5673/pulsar", ("broker", 5673, "gx", "p@ss", "pulsar", False)),
        ("amqps://broker", ("broker", 5671, "guest", "guest", "/", True)),
        ("pyamqp://u:p@broker//", ("broker", 5672, "u", "p", "/", False)),
    ],
)
def test_amqp_target(url, target):
    assert cg.amqp_target(url) == target


# --- the probes against fake servers ---------------------------------------------------------------------------


class FakeHttp(http.server.BaseHTTPRequestHandler):
    """Pulsar's /healthz (401 without its token) and Galaxy's /api/version."""

    def do_GET(self):  # noqa: N802 (http.server's name)
        if self.path.startswith("/healthz"):
            status = 200 if self.path.endswith("private_token=" + TOKEN) else 401
            self._answer(status, {"version": "0.16.0"} if status == 200 else {})
        elif self.path == "/api/version":
            self._answer(200, {"version_major": "26.1"})
        else:
            self._answer(404, {})

    def _answer(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def http_url():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), FakeHttp)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def closed_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_probe_pulsar(http_url):
    assert cg.probe_pulsar(http_url + "/", TOKEN) == {
        "state": "ok",
        "detail": f"{http_url}/: Pulsar 0.16.0, token accepted",
    }
    refused = cg.probe_pulsar(http_url, "wrong-token")
    assert refused["state"] == "refused" and "401" in refused["detail"]
    assert cg.probe_pulsar(f"http://127.0.0.1:{closed_port()}", TOKEN, timeout=2)["state"] == "unreachable"
    assert cg.probe_pulsar("hpc:8913", TOKEN)["state"] == "error"


def test_probe_galaxy(http_url):
    assert cg.probe_galaxy(http_url) == {"state": "ok", "detail": f"{http_url}: Galaxy 26.1"}
    assert cg.probe_galaxy(f"http://127.0.0.1:{closed_port()}", timeout=2)["state"] == "unreachable"


def _read_frame(conn):
    head = b""
    while len(head) < 7:
        head += conn.recv(7 - len(head))
    _type, _channel, size = struct.unpack("!BHI", head)
    payload = b""
    while len(payload) < size + 1:
        payload += conn.recv(size + 1 - len(payload))
    return payload[:-1]


def fake_broker(behaviour):
    """A one-connection AMQP 0-9-1 broker: the account gx/PASSWORD on the vhost pulsar; ``behaviour`` 'close' drops
    the connection on a bad login instead of saying why (RabbitMQ without authentication_failure_close)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)

    def serve():
        conn, _address = listener.accept()
        with conn:
            assert conn.recv(8) == cg.AMQP_HEADER
            start = b"\x00\x09" + struct.pack("!I", 0) + cg._longstr(b"PLAIN") + cg._longstr(b"en_US")
            conn.sendall(cg.amqp_method_frame(10, 10, start))
            start_ok = _read_frame(conn)[4:]
            table_size = struct.unpack("!I", start_ok[:4])[0]
            rest = start_ok[4 + table_size :]
            rest = rest[1 + rest[0] :]  # the mechanism
            response = rest[4 : 4 + struct.unpack("!I", rest[:4])[0]]
            _empty, user, password = response.split(b"\x00")
            if (user, password) != (b"gx", PASSWORD.encode()):
                if behaviour != "close":
                    reason = cg._shortstr("ACCESS_REFUSED - Login was refused")
                    conn.sendall(cg.amqp_method_frame(10, 50, struct.pack("!H", 403) + reason + b"\0" * 4))
                return
            conn.sendall(cg.amqp_method_frame(10, 30, struct.pack("!HIH", 2047, 131072, 60)))
            assert _read_frame(conn)[:4] == struct.pack("!HH", 10, 31)
            open_args = _read_frame(conn)[4:]
            vhost = open_args[1 : 1 + open_args[0]].decode()
            if vhost != "pulsar":
                reason = cg._shortstr(f"NOT_ALLOWED - access to vhost '{vhost}' refused")
                conn.sendall(cg.amqp_method_frame(10, 50, struct.pack("!H", 530) + reason + b"\0" * 4))
                return
            conn.sendall(cg.amqp_method_frame(10, 41, cg._shortstr("")))
            assert _read_frame(conn)[:4] == struct.pack("!HH", 10, 50)  # the probe closes

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    return listener.getsockname()[1], thread, listener


@pytest.mark.parametrize(
    ("user", "password", "vhost", "behaviour", "state", "said"),
    [
        ("gx", PASSWORD, "pulsar", "", "ok", "logged in as gx, virtual host pulsar"),
        ("gx", "wrong", "pulsar", "", "refused", "the login refused (403 ACCESS_REFUSED"),
        ("gx", "wrong", "pulsar", "close", "refused", "closed the connection at the login"),
        ("gx", PASSWORD, "other", "", "vhost", "virtual host other refused (530 NOT_ALLOWED"),
    ],
)
def test_probe_amqp(user, password, vhost, behaviour, state, said):
    port, thread, listener = fake_broker(behaviour)
    try:
        result = cg.probe_amqp(f"amqp://{user}:{password}@127.0.0.1:{port}/{vhost}", timeout=5)
    finally:
        thread.join(5)
        listener.close()
    assert result["state"] == state, result
    assert said in result["detail"]
    assert PASSWORD not in result["detail"] and f"{user}:***@127.0.0.1" in result["detail"]


def test_probe_amqp_unreachable_and_not_amqp(http_url):
    assert cg.probe_amqp(f"amqp://gx:p@127.0.0.1:{closed_port()}/pulsar", timeout=2)["state"] == "unreachable"
    port = int(http_url.rsplit(":", 1)[1])  # an HTTP server answers AMQP's header with an error page
    assert cg.probe_amqp(f"amqp://gx:p@127.0.0.1:{port}/pulsar", timeout=5)["state"] in ("error", "unreachable")
    assert cg.probe_amqp("http://broker/")["state"] == "error"


def test_a_wrong_token_and_password_seen_from_both_sides(http_url):
    """The whole path on fake servers: the Galaxy side finds Pulsar refusing the token, the Pulsar side the
    broker refusing the password; the report names both, with their fixes."""
    port, thread, listener = fake_broker("")
    destinations = [
        {"transport": "rest", "url": http_url, "private_token": "not-the-token"},
        {"transport": "mq", "amqp_url": f"amqp://gx:wrong@127.0.0.1:{port}/pulsar", "galaxy_url": http_url},
    ]
    try:
        galaxy_side = cg.run_pulsar_probes("galaxy", destinations[:1], timeout=5)
        pulsar_side = cg.run_pulsar_probes("pulsar", destinations[1:], timeout=5)
    finally:
        thread.join(5)
        listener.close()
    report = cc.evaluate(
        *pulsar_cluster(), pulsar_probes={"galaxy": {"probes": galaxy_side}, "hpc": {"probes": pulsar_side}}
    )
    assert sorted((f["name"], f["host"]) for f in report["failures"]) == [
        ("broker_login_refused", "hpc"),
        ("pulsar_token_refused", "galaxy"),
    ]
    rows = {row[0]: row[1] for row in report["rows"]["hpc"]}
    assert rows[f"galaxy {http_url}"] == "ok"
    assert all(" Fix: " in line for line in cc.failure_lines(report["failures"]))


# --- the evaluation --------------------------------------------------------------------------------------------


def pulsar_cluster():
    """A Galaxy server that sends jobs only to Pulsar (no MUNGE key, no slurm.conf, no shared path) and the cluster's
    one host: controller, exec node and Pulsar. (hosts, probes, settings) for cc.evaluate."""
    hashes = {"munge_key": "a" * 64, "slurm_conf": "c" * 64}
    hosts = {
        "galaxy": {"roles": ["pulsar_galaxy"], "facts": {"hashes": {}, "clock": 1000.0}},
        "hpc": {
            "roles": ["exec", "pulsar", "controller"],
            "facts": {"node_name": "hpc", "paths": {}, "users": {}, "hashes": hashes, "clock": 1000.5},
        },
    }
    settings = {"paths": [{"name": "jobs", "path": "/srv/galaxy/jobs"}], "galaxy_user": "galaxy", "clock_window": 1}
    return hosts, {"galaxy": {"skipped": True}}, settings


def ok(kind, key):
    return {key: {"kind": kind, "url": key.split(" ", 1)[1], "state": "ok", "detail": f"{key} answers"}}


def test_a_pulsar_only_galaxy_server_needs_no_shared_filesystem():
    probes = {
        "galaxy": {"probes": {**ok("pulsar", "pulsar http://hpc:8913/"), **ok("broker", "broker amqp://gx:***@g/p")}},
        "hpc": {"probes": {**ok("broker", "broker amqp://gx:***@g/p"), **ok("galaxy", "galaxy http://galaxy:8080")}},
    }
    report = cc.evaluate(*pulsar_cluster(), pulsar_probes=probes)
    assert report["failures"] == [] and report["warnings"] == []
    galaxy = [row[:2] for row in report["rows"]["galaxy"]]
    assert galaxy == [("filesystem", "skip"), ("pulsar http://hpc:8913/", "ok"), ("broker amqp://gx:***@g/p", "ok")]
    checks = [row[0] for row in report["rows"]["hpc"]]
    assert "munge.key" in checks and "galaxy http://galaxy:8080" in checks
    assert not [c for c in checks if c.startswith(("path ", "user ", "python"))]


@pytest.mark.parametrize(
    ("host", "kind", "state", "name"),
    [
        ("galaxy", "pulsar", "unreachable", "pulsar_unreachable"),
        ("galaxy", "pulsar", "error", "pulsar_unreachable"),
        ("galaxy", "pulsar", "refused", "pulsar_token_refused"),
        ("galaxy", "broker", "unreachable", "broker_unreachable"),
        ("hpc", "broker", "refused", "broker_login_refused"),
        ("hpc", "broker", "vhost", "broker_login_refused"),
        ("hpc", "galaxy", "unreachable", "galaxy_unreachable_from_pulsar"),
        ("hpc", "galaxy", "error", "galaxy_unreachable_from_pulsar"),
    ],
)
def test_each_pulsar_failure_is_named_with_its_fix(host, kind, state, name):
    result = {"kind": kind, "url": "http://x:1/", "state": state, "detail": f"x answers {state}"}
    report = cc.evaluate(*pulsar_cluster(), pulsar_probes={host: {"probes": {f"{kind} http://x:1/": result}}})
    assert [(f["name"], f["host"]) for f in report["failures"]] == [(name, host)]
    assert "http://x:1/" in report["failures"][0]["fix"]


def test_an_unknown_probe_state_is_bad_input():
    result = {"kind": "pulsar", "url": "u", "state": "maybe", "detail": ""}
    with pytest.raises(cc.ClusterCheckError, match="pulsar_probes"):
        cc.evaluate(*pulsar_cluster(), pulsar_probes={"galaxy": {"probes": {"pulsar u": result}}})
