import re

import pytest

from ansible_collections.gxhpc.cluster.plugins.module_utils import slurm_cluster as cl
from ansible_collections.gxhpc.cluster.plugins.module_utils.slurm_conf import SlurmConfError

DETECTED = {
    "NodeName": "node1",
    "CPUs": 8,
    "Boards": 1,
    "SocketsPerBoard": 2,
    "CoresPerSocket": 4,
    "ThreadsPerCore": 1,
    "RealMemory": 32000,
}


def test_host_roles_from_list_groups_and_alias():
    assert cl.host_roles(["exec", "client"], ["slurmservers", "web"]) == ["controller", "exec", "submit"]


def test_host_roles_rejects_typo():
    with pytest.raises(SlurmConfError, match=r"slurm_roles: 'controler' is not a Slurm host role \(accepted: "):
        cl.host_roles(["controler"])


def test_host_roles_rejects_string():
    with pytest.raises(SlurmConfError, match="slurm_roles: 'exec' is a string"):
        cl.host_roles("exec")


@pytest.mark.parametrize(
    "expression, names",
    [
        ("node1", ["node1"]),
        ("node[01-03]", ["node01", "node02", "node03"]),
        ("n[1,3-4],gpu7", ["n1", "n3", "n4", "gpu7"]),
        ("rack[1-2]-a", ["rack1-a", "rack2-a"]),
        ("r[1-2]n[08-09]", ["r1n08", "r1n09", "r2n08", "r2n09"]),
        ("n[9-11] gpu1", ["n9", "n10", "n11", "gpu1"]),
        ("n[0-1],m[1,3]x", ["n0", "n1", "m1x", "m3x"]),
    ],
)
def test_expand_hostlist(expression, names):
    assert cl.expand_hostlist(expression) == names


@pytest.mark.parametrize(
    "expression, message",
    [
        ("n[1-", "without its ']'"),
        ("n1]", "without its '['"),
        ("n[a-b]", "is not a list of numbers and ranges"),
        ("n[]", "is not a list of numbers and ranges"),
        ("n[3-1]", "runs backwards"),
    ],
)
def test_expand_hostlist_refuses_malformed(expression, message):
    with pytest.raises(SlurmConfError, match=re.escape(message)):
        cl.expand_hostlist(expression)


PROC = """MemTotal:        2000000 kB
MemFree:          100000 kB
processor\t: 0
model name\t: x
processor\t: 1
"""


def test_proc_resources_as_slurmd_reports():
    assert cl.proc_resources(PROC, "n1") == {"NodeName": "n1", "CPUs": 2, "RealMemory": 1953}


def test_proc_resources_unreadable():
    with pytest.raises(SlurmConfError, match="n1: /proc/cpuinfo and /proc/meminfo give no processor"):
        cl.proc_resources("", "n1")


def test_detected_node_keeps_margin_and_topology():
    node = cl.detected_node(DETECTED, margin_percent=5)
    assert node == {
        "name": "node1",
        "CPUs": 8,
        "RealMemory": 30400,
        "State": "UNKNOWN",
        "Boards": 1,
        "SocketsPerBoard": 2,
        "CoresPerSocket": 4,
        "ThreadsPerCore": 1,
    }


def test_detected_node_galaxy_reservation_drops_topology():
    node = cl.detected_node(DETECTED, margin_percent=0, reserved_cores=2, reserved_memory_mb=4096)
    assert node == {"name": "node1", "CPUs": 6, "RealMemory": 27904, "State": "UNKNOWN"}


def test_detected_node_reservation_too_big():
    with pytest.raises(SlurmConfError, match="slurm_galaxy_reserved_cores: 8 leaves no CPU on node1"):
        cl.detected_node(DETECTED, reserved_cores=8)


def test_node_list_detected():
    hosts = [{"inventory_hostname": "n1.example", "hostname": "node1", "detected": DETECTED}]
    assert cl.node_list([], hosts)[0]["name"] == "node1"


def test_node_list_detected_missing():
    with pytest.raises(SlurmConfError, match="resources of exec host n2 are unknown"):
        cl.node_list([], [{"inventory_hostname": "n2", "hostname": "n2"}])


def test_node_list_gtn_localhost_gets_memory():
    # The GTN tutorial: name localhost, CPUs typed by hand, RealMemory unset.
    hosts = [{"inventory_hostname": "galaxy", "hostname": "galaxy", "detected": DETECTED}]
    nodes = cl.node_list([{"name": "localhost", "CPUs": 2}], hosts)
    assert nodes == [{"name": "localhost", "CPUs": 2, "RealMemory": 30400}]


def test_node_list_user_entries_kept():
    nodes = cl.node_list([{"name": "gpu[01-10]", "CPUs": 72, "RealMemory": 1}], [])
    assert nodes == [{"name": "gpu[01-10]", "CPUs": 72, "RealMemory": 1}]


def test_default_memory_per_cpu_from_smallest_node():
    nodes = [{"name": "a", "CPUs": 2, "RealMemory": 8000}, {"name": "b", "CPUs": 4, "RealMemory": 8000}]
    config = cl.with_default_memory({"SelectTypeParameters": "CR_Core_Memory"}, nodes)
    assert config["DefMemPerCPU"] == 2000


@pytest.mark.parametrize(
    "config",
    [{"SelectTypeParameters": "CR_Core"}, {"SelectTypeParameters": "CR_CPU_Memory", "DefMemPerNode": 10}],
)
def test_default_memory_left_alone(config):
    assert cl.with_default_memory(config, [{"name": "a", "CPUs": 2, "RealMemory": 8000}]) == config
