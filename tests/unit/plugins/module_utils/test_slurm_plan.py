"""The slurm role's plan: every problem with a host's variables, each naming the variable and the value."""

import pytest

from ansible_collections.gxhpc.cluster.plugins.module_utils.slurm_plan import plan

EXEC = {
    "inventory_hostname": "node1.example",
    "hostname": "node1",
    "detected": {"NodeName": "node1", "CPUs": 2, "RealMemory": 1953},
    "margin_percent": 5,
    "reserved_cores": 0,
    "reserved_memory_mb": 0,
}


def settings(**changes):
    base = {
        "inventory_hostname": "node1.example",
        "host_roles": ["controller", "exec"],
        "controller": "node1.example",
        "is_controller": True,
        "dbd_password_set": False,
        "slurm_nodes": [],
        "slurm_partitions": [],
        "slurm_config": {},
        "slurm_cgroup_config": {},
        "slurm_dbd_config": {},
        "slurm_galaxy_reserved_cores": 1,
        "slurm_galaxy_reserved_memory_mb": 4096,
        "slurm_realmemory_margin_percent": 5,
        "slurm_preflight_node_check": True,
        "slurm_allow_untested_platform": False,
        "distribution": "Debian",
        "distribution_version": "12.8",
        "distribution_major_version": "12",
        "os_family": "Debian",
        "platform_vars_loaded": True,
        "defined_variables": [],
    }
    return dict(base, **changes)


def problems(exec_hosts=(EXEC,), **changes):
    return plan(settings(**changes), list(exec_hosts))["problems"]


def test_good_settings_have_no_problems():
    result = plan(settings(), [EXEC])
    assert (result["problems"], result["warnings"]) == ([], [])


def test_gtn_variables_have_no_problems():
    gtn = settings(
        slurm_nodes=[{"name": "localhost", "CPUs": 2}],
        slurm_config={"SlurmdParameters": "config_overrides", "SelectType": "select/cons_res"},
        slurm_partitions=[{"name": "main", "Nodes": "localhost", "Default": True}],
    )
    assert plan(gtn, [EXEC])["problems"] == []


@pytest.mark.parametrize(
    "changes, expected",
    [
        (
            {"distribution": "Ubuntu", "distribution_version": "24.04", "distribution_major_version": "24"},
            "This host runs Ubuntu 24.04; gxhpc.cluster.slurm is tested on Debian 12 and Debian 13 only. Set "
            "slurm_allow_untested_platform: true",
        ),
        (
            {"distribution": "Rocky", "os_family": "RedHat", "platform_vars_loaded": False},
            "(RedHat family): gxhpc.cluster.slurm knows only Debian-family hosts",
        ),
        ({"controller": ""}, "no host in this play has the controller role"),
        ({"host_roles": ["dbd", "controller"]}, "slurm_dbd_storage_pass is empty, but node1.example has the dbd role"),
        ({"slurm_galaxy_reserved_cores": -1}, "slurm_galaxy_reserved_cores: -1 is out of range; accepted: 0 or more."),
        ({"slurm_realmemory_margin_percent": 100}, "slurm_realmemory_margin_percent: 100 is out of range"),
        ({"slurm_config": {"Key": "a\nb"}}, "slurm_config.Key: 'a\\nb' contains a line break"),
        ({"slurm_config": {"Bad\nKey": "x"}}, "slurm_config: 'Bad\\nKey' is not a slurm.conf parameter name"),
        ({"slurm_cgroup_config": {"A": "1\r"}}, "slurm_cgroup_config.A: '1\\r' contains a line break"),
        ({"slurm_nodes": [{"CPUs": 1}]}, "slurm_nodes[0]: {'CPUs': 1} has no 'name'"),
        ({"slurm_nodes": [{"name": "node1", "Feature": "a\nb"}]}, "slurm_nodes['node1'].Feature: 'a\\nb'"),
        ({"slurm_nodes": [{"name": "node1", "CPUs": 0}]}, "slurm_nodes: node 'node1' has CPUs=0; accepted: a whole"),
        ({"slurm_nodes": [{"name": "node1", "CPUs": -2}]}, "slurm_nodes: node 'node1' has CPUs=-2"),
        ({"slurm_nodes": [{"name": "node1", "cpus": "two"}]}, "slurm_nodes: node 'node1' has cpus='two'"),
        (
            {"slurm_nodes": [{"name": "node1", "RealMemory": 999999}]},
            "slurm_nodes: node 'node1' has RealMemory=999999 but node1.example has 1953 MB",
        ),
        (
            {"slurm_nodes": [{"name": "localhost", "CPUs": 4}]},
            "slurm_nodes: node 'localhost' has CPUs=4 but node1.example has 2",
        ),
        (
            {"slurm_nodes": [{"name": "node[01-02]", "CPUs": 2}]},
            "slurm_nodes: ['node01', 'node02'] are not provided by any exec host of this play",
        ),
        (
            {"slurm_partitions": [{"name": "main", "Nodes": "ghost[1-3]"}]},
            "slurm_partitions: partition 'main' has Nodes='ghost[1-3]', naming ghost1, ghost2, ghost3, which are not "
            "nodes of this cluster (its nodes: node1)",
        ),
        ({"slurm_partitions": [{"name": "main", "nodes": ""}]}, "slurm_partitions: partition 'main' has nodes=''"),
        ({"slurm_partitions": [{"name": "main", "Nodes": "n[1-"}]}, "'n[1-' has a '[' without its ']'"),
        (
            {"slurm_galaxy_reserved_cores": 2, "slurm_nodes": []},
            "slurm_galaxy_reserved_cores: 2 leaves no CPU on node1 (2 CPUs); accepted: 0 to 1",
        ),
    ],
)
def test_problem(changes, expected):
    exec_host = dict(EXEC, reserved_cores=changes.get("slurm_galaxy_reserved_cores", 0))
    found = problems([exec_host], **changes)
    assert any(expected in p for p in found), found


def test_every_problem_at_once():
    found = problems(
        slurm_config={"A": "x\ny"},
        slurm_nodes=[{"name": "node1", "CPUs": 0, "RealMemory": 10**7}],
        slurm_partitions=[{"name": "p", "Nodes": ""}],
    )
    assert len(found) == 4, found


def test_config_overrides_allows_more_than_the_node_has():
    found = problems(
        slurm_nodes=[{"name": "node1", "CPUs": 64, "RealMemory": 10**6}],
        slurm_config={"SlurmdParameters": "config_overrides"},
    )
    assert found == []


def test_untested_platform_allowed_by_override():
    found = problems(distribution="Ubuntu", distribution_major_version="24", slurm_allow_untested_platform=True)
    assert found == []


def test_partitions_name_nodes_of_slurm_nodes_elsewhere():
    # Nodes managed outside the play: the partition may name them; the node check is off.
    found = problems(
        slurm_nodes=[{"name": "gpu[01-04]", "CPUs": 8}],
        slurm_partitions=[{"name": "gpu", "Nodes": "gpu[01-02],gpu03"}, {"name": "all", "Nodes": "ALL"}],
        slurm_preflight_node_check=False,
    )
    assert found == []


def test_password_never_shown():
    found = problems(slurm_dbd_config={"StoragePass": "sec\nret"})
    assert found == ["slurm_dbd_config.StoragePass: the value contains a line break; slurm.conf values are one line."]


def test_node_checks_only_on_hosts_with_roles():
    assert problems(host_roles=[], is_controller=False, slurm_partitions=[{"name": "p", "Nodes": ""}]) == []


def test_ignored_variables_warned():
    result = plan(settings(defined_variables=["slurm_roles", "slurm_gres_config", "slurm_rotate_logs"]), [EXEC])
    assert result["warnings"] == [
        "slurm_gres_config, slurm_rotate_logs are set but not used by gxhpc.cluster.slurm (see "
        "docs/migrating-from-galaxyproject-slurm.md): put such settings in slurm_config, or manage those files "
        "separately."
    ]


# Configless Slurm (issue 18): the version rule, and how each kind of host gets its configuration.
def configless(roles, version="22.05.8", **changes):
    return plan(settings(host_roles=roles, slurm_configless=True, slurm_version=version, **changes), [EXEC])


@pytest.mark.parametrize("version", ["19.05.5", "18.08.5.2"])
def test_configless_with_a_slurm_older_than_20_02_is_refused(version):
    found = configless(["controller"], version)["problems"]
    assert len(found) == 1
    assert "slurm_configless: true needs Slurm 20.02 or later" in found[0] and version in found[0]
    assert "slurm_configless: false" in found[0]


def test_configless_with_an_unknown_slurm_version_is_refused():
    found = configless(["controller"], "", apt_policy="slurm-client:\n  Installed: (none)\n  Candidate: (none)\n")
    assert any("version this host will run is unknown" in p for p in found["problems"])


def test_configless_version_from_apt_on_an_untested_platform():
    policy = "slurm-client:\n  Installed: (none)\n  Candidate: 20.11.7+really20.11.4-2+deb11u1\n"
    assert configless(["exec"], "", apt_policy=policy, is_controller=False)["problems"] == []
    policy = "slurm-client:\n  Installed: 19.05.5-1\n  Candidate: 19.05.5-1\n"
    assert "19.05.5-1" in configless(["exec"], "", apt_policy=policy, is_controller=False)["problems"][0]


def test_configless_off_needs_no_version():
    assert plan(settings(slurm_version=""), [EXEC])["problems"] == []


@pytest.mark.parametrize(
    "roles, version, expected",
    [
        # The controller (with or without slurmd) keeps the files; so does slurmdbd, which is not configless.
        (["controller"], "22.05.8", (True, False, False)),
        (["controller", "exec"], "22.05.8", (True, False, False)),
        (["dbd"], "22.05.8", (True, False, False)),
        (["exec"], "22.05.8", (False, True, False)),
        (["exec", "submit"], "22.05.8", (False, True, False)),
        # A submit host: sackd from 23.11 (Debian 13), a copy of slurm.conf below (Debian 12).
        (["submit"], "24.11.5", (False, False, True)),
        (["submit"], "23.11.4", (False, False, True)),
        (["submit"], "22.05.8", (True, False, False)),
    ],
)
def test_configless_mode_per_host(roles, version, expected):
    mode = configless(roles, version, is_controller="controller" in roles)["configless"]
    assert mode["enabled"]
    assert (mode["local_files"], mode["slurmd_conf_server"], mode["sackd"]) == expected


def test_without_configless_every_slurm_host_keeps_the_files():
    for roles in (["exec"], ["submit"], ["controller"]):
        mode = plan(settings(host_roles=roles, slurm_version="24.11.5"), [EXEC])["configless"]
        assert mode == {"enabled": False, "local_files": True, "slurmd_conf_server": False, "sackd": False}
    assert not plan(settings(host_roles=[]), [EXEC])["configless"]["local_files"]


# --limit (issue 18): exec hosts outside the play come from the fact cache, or the plan says how to proceed.
OUTSIDE = {"inventory_hostname": "node2.example", "hostname": "node2", "in_play": False}


def test_exec_host_outside_the_limit_without_cached_facts_fails_saying_how_to_proceed():
    found = plan(settings(), [EXEC, OUTSIDE])["problems"]
    assert len(found) == 1
    assert found[0].startswith("node2.example is an exec host of this cluster outside this play (--limit)")
    assert "fact_caching = jsonfile" in found[0] and "slurm_nodes" in found[0]


def test_exec_host_outside_the_limit_with_cached_facts_is_fine():
    cached = dict(OUTSIDE, detected={"NodeName": "node2", "CPUs": 2, "RealMemory": 1953})
    assert plan(settings(), [EXEC, cached])["problems"] == []


def test_exec_host_outside_the_limit_described_in_slurm_nodes_needs_no_facts():
    nodes = [{"name": "node1", "CPUs": 1}, {"name": "node2", "CPUs": 2, "RealMemory": 1000}]
    assert plan(settings(slurm_nodes=nodes), [EXEC, OUTSIDE])["problems"] == []
    nodes = [{"name": "node1", "CPUs": 1}, {"name": "node2", "CPUs": 2}]
    assert "node2.example is an exec host" in plan(settings(slurm_nodes=nodes), [EXEC, OUTSIDE])["problems"][0]


def test_exec_host_outside_the_limit_is_no_concern_of_other_hosts():
    assert plan(settings(is_controller=False, host_roles=["exec"]), [EXEC, OUTSIDE])["problems"] == []
