"""The slurm filters that read hostvars: which exec hosts slurm.conf describes, in a play and outside a --limit."""

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.gxhpc.cluster.plugins.filter.slurm import FilterModule, slurm_exec_hosts
from ansible_collections.gxhpc.cluster.plugins.module_utils import slurm_cluster as cl

FILTERS = FilterModule().filters()
INFO = {"hostname": "exec1", "detected": {"NodeName": "exec1", "CPUs": 2, "RealMemory": 1953}}


def in_play(roles, controller="ctl", info=None):
    return {"slurm_controller": controller, "slurm_host_roles": roles, "slurm_exec_info": info or {}}


def test_play_hosts_come_from_their_facts():
    hostvars = {"ctl": in_play(["controller"]), "exec1": in_play(["exec"], info=INFO)}
    found = slurm_exec_hosts(["ctl", "exec1"], hostvars, "ctl")
    assert found == [dict(INFO, inventory_hostname="exec1", in_play=True)]


def test_hosts_outside_the_limit_come_from_the_inventory_and_the_fact_cache():
    hostvars = {
        "ctl": in_play(["controller"]),
        "new": in_play(["exec"], info=dict(INFO, hostname="new")),
        # Outside the limit: roles by group, resources from the cache.
        "exec1": {"group_names": ["slurmexechosts"], "slurm_exec_info": INFO},
        # Outside, never run with a cache: no resources.
        "exec2": {"group_names": ["slurmexechosts"], "ansible_hostname": "exec2"},
        # Outside, not an exec host, or another cluster's.
        "galaxy": {"group_names": ["galaxyservers", "slurmsubmit"]},
        "other": {"slurm_roles": ["exec"], "slurm_controller_host": "ctl2", "group_names": []},
    }
    found = slurm_exec_hosts(list(hostvars), hostvars, "ctl", ["ctl", "new"])
    assert [(h["inventory_hostname"], h["in_play"], "detected" in h) for h in found] == [
        ("new", True, True),
        ("exec1", False, True),
        ("exec2", False, False),
    ]
    assert found[2]["hostname"] == "exec2"


def test_bad_roles_of_a_host_outside_the_limit_are_named():
    hostvars = {"ctl": in_play(["controller"]), "x": {"slurm_roles": ["worker"], "group_names": []}}
    with pytest.raises(AnsibleFilterError, match="'worker' is not a Slurm host role"):
        FILTERS["slurm_exec_hosts"](["ctl", "x"], hostvars, "ctl", ["ctl"])


@pytest.mark.parametrize(
    "config, expected",
    [
        ({}, "enable_configless"),
        ({"SlurmctldParameters": "idle_on_node_suspend"}, "idle_on_node_suspend,enable_configless"),
        ({"SlurmctldParameters": "enable_configless,x"}, "enable_configless,x"),
        ({"SlurmctldParameters": ["a", "b"]}, "a,b,enable_configless"),
    ],
)
def test_with_configless(config, expected):
    result = cl.with_configless(config, True)
    assert result["SlurmctldParameters"] == expected
    assert cl.with_configless(config, False) == config


def test_with_configless_keeps_the_users_spelling_of_the_key():
    assert cl.with_configless({"slurmctldparameters": "x"}, True) == {"slurmctldparameters": "x,enable_configless"}


def test_conf_server():
    assert cl.conf_server("ctl", 6817) == "ctl:6817"
    assert cl.conf_server("ctl", "6817-6820") == "ctl:6817"
    with pytest.raises(cl.SlurmConfError, match="SlurmctldPort"):
        cl.conf_server("ctl", "x")
