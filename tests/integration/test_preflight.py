"""Bad variables fail in preflight, naming the variable and the bad value, before any change.

Each case runs playbooks/slurm.yml against a fresh container and checks that the run failed, that
the message names the variable and the value (a MUNGE key never: its decoded length instead), that
nothing reported a change, and that no package, no account and no path under /etc changed.
"""

import base64

import pytest
from conftest import docker, recap_changed, run_playbook, snapshot, snapshot_changes

CONTAINER_CONFIG = {"ProctrackType": "proctrack/linuxproc", "TaskPlugin": "task/none"}
ONE_NODE = {"slurm_roles": ["controller", "exec"]}
KEY = bytes(range(64))
B64 = base64.b64encode(KEY).decode()
HEX = KEY[:32].hex()  # 64 hex digits: also valid base64, of 48 other bytes

CASES = {
    "role-typo": ({"slurm_roles": ["controler"]}, ["slurm_roles", "controler", "controller", "exec", "submit"]),
    "no-controller": (
        {"slurm_roles": ["exec"]},
        ["no host in this play has the", "controller role", "slurm_controller_host"],
    ),
    "unprovided-node": (
        dict(ONE_NODE, slurm_nodes=[{"name": "node[01-02]", "CPUs": 2}]),
        ["slurm_nodes", "node01", "node02", "not provided by any exec host"],
    ),
    "munge-key-not-base64": (dict(ONE_NODE, munge_key="not base64!"), ["munge_key is not valid base64"]),
    "munge-key-too-short": (
        dict(ONE_NODE, munge_key=base64.b64encode(b"k" * 16).decode()),
        ["munge_key decodes (base64) to 16 bytes", "32 to 1024 bytes"],
    ),
    "munge-key-too-long": (
        dict(ONE_NODE, munge_key=base64.b64encode(b"k" * 1100).decode()),
        ["munge_key decodes (base64) to 1100 bytes"],
    ),
    "munge-key-bad-padding": (dict(ONE_NODE, munge_key=B64[:-1]), ["munge_key is not valid base64", "padding"]),
    "munge-key-equals-inside": (dict(ONE_NODE, munge_key=B64[:40] + "=" + B64[40:]), ["munge_key is not valid base64"]),
    "munge-key-hex-ambiguous": (
        dict(ONE_NODE, munge_key=HEX),
        ["munge_key holds only hex digits (64 characters)", "munge_key_format: hex"],
    ),
    "munge-key-hex-too-short": (
        dict(ONE_NODE, munge_key=HEX[:20], munge_key_format="hex"),
        ["munge_key decodes (hex) to 10 bytes"],
    ),
    "partition-ghost-nodes": (
        dict(ONE_NODE, slurm_partitions=[{"name": "main", "Nodes": "ghost[1-3]"}]),
        ["slurm_partitions", "'main'", "ghost[1-3]", "ghost1, ghost2, ghost3", "not nodes of this cluster"],
    ),
    "partition-empty-nodes": (
        dict(ONE_NODE, slurm_partitions=[{"name": "main", "nodes": ""}]),
        ["slurm_partitions", "'main'", "nodes=''"],
    ),
    "node-zero-cpus": (
        dict(ONE_NODE, slurm_nodes=[{"name": "localhost", "CPUs": 0}]),
        ["slurm_nodes", "'localhost'", "CPUs=0", "whole number from 1"],
    ),
    "node-negative-cpus": (
        dict(ONE_NODE, slurm_nodes=[{"name": "localhost", "CPUs": -4}]),
        ["slurm_nodes", "'localhost'", "CPUs=-4"],
    ),
    "node-more-memory-than-it-has": (
        dict(ONE_NODE, slurm_nodes=[{"name": "localhost", "RealMemory": 99999999}]),
        ["slurm_nodes", "'localhost'", "RealMemory=99999999", "{memory} MB"],
    ),
    "config-value-newline": (
        dict(ONE_NODE, slurm_config=dict(CONTAINER_CONFIG, ClusterName="one\nNodeName=evil")),
        ["slurm_config.ClusterName", "'one\\nNodeName=evil'", "line break"],
    ),
    "config-key-newline": (
        dict(ONE_NODE, slurm_config=dict(CONTAINER_CONFIG, **{"MaxJobCount\nNodeName": "1"})),
        ["slurm_config", "'MaxJobCount\\nNodeName'", "not a slurm.conf parameter name"],
    ),
}


@pytest.mark.parametrize("host_vars, expected", list(CASES.values()), ids=list(CASES))
def test_bad_input_fails_before_any_change(unchanged_host, tmp_path, host_vars, expected):
    container, before = unchanged_host
    memory_kb = docker("exec", container, "awk", "/^MemTotal:/ {print $2}", "/proc/meminfo").stdout.strip()
    expected = [text.replace("{memory}", str(int(memory_kb) // 1024)) for text in expected]
    host_vars = dict({"slurm_config": CONTAINER_CONFIG}, **host_vars)
    result = run_playbook(tmp_path, container, "playbooks/slurm.yml", host_vars)
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    for text in expected:
        assert text in output, f"{text!r} not in output:\n{output}"
    if host_vars.get("munge_key"):
        assert host_vars["munge_key"] not in output, "the MUNGE key was shown"
    assert recap_changed(output) == [0], output
    assert snapshot_changes(before, snapshot(container)) == {}, output


def test_untested_platform_refused_with_override(unchanged_host, tmp_path):
    """A platform other than Debian 12/13 is refused by name; slurm_allow_untested_platform lets it through."""
    container, before = unchanged_host
    facts = ["-e", "ansible_distribution=Ubuntu", "-e", "ansible_distribution_major_version=24"]
    result = run_playbook(
        tmp_path, container, "playbooks/slurm.yml", dict(ONE_NODE, slurm_config=CONTAINER_CONFIG), facts
    )
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    for text in ("This host runs Ubuntu", "tested on Debian 12 and Debian 13 only", "slurm_allow_untested_platform"):
        assert text in output, f"{text!r} not in output:\n{output}"
    assert recap_changed(output) == [0], output
    assert snapshot_changes(before, snapshot(container)) == {}, output
    # With the override, preflight passes; --check changes nothing and stops at nothing.
    allowed = run_playbook(
        tmp_path,
        container,
        "playbooks/slurm.yml",
        dict(ONE_NODE, slurm_config=CONTAINER_CONFIG, slurm_allow_untested_platform=True),
        [*facts, "--check", "--tags", "preflight"],
    )
    assert allowed.returncode == 0, allowed.stdout + allowed.stderr
