"""The cluster_check role's plan: its variables, the play's Galaxy servers and exec nodes, each host's part."""

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.gxhpc.cluster.plugins.filter.cluster_check import cluster_check_plan
from ansible_collections.gxhpc.cluster.plugins.module_utils.cluster_check_plan import plan

SETTINGS = {
    "cluster_check_paths": [{"name": "jobs", "path": "/srv/galaxy/jobs"}],
    "cluster_check_clock_tolerance": 300,
    "cluster_check_job_wait": 300,
    "cluster_check_galaxy_hosts": ["galaxy1"],
    "cluster_check_exec_hosts": [],
    "cluster_check_reference_host": "",
}
PLAY = {"galaxy1": [], "ctl1": ["controller"], "node1": ["exec"], "node2": ["client", "exec"]}


def run(me="galaxy1", play=None, groups=None, controller="", **settings):
    play = PLAY if play is None else play
    facts = {
        "inventory_hostname": me,
        "slurm_roles": play,
        "group_names": groups or {host: [] for host in play},
        "slurm_controller_host": controller,
    }
    return plan({**SETTINGS, **settings}, facts)


def test_a_cluster_with_galaxy_a_controller_and_exec_nodes():
    result = run()
    assert result["problems"] == []
    assert result["exec_hosts"] == ["node1", "node2"]
    assert result["reference"] == "ctl1"
    assert result["roles"] == ["galaxy"]
    assert run("node1")["roles"] == ["exec"]
    assert run("ctl1")["roles"] == ["controller"]
    assert run("node2")["roles"] == ["exec", "submit"]


def test_the_variables_win_over_the_play():
    result = run(cluster_check_exec_hosts=["node2"], cluster_check_reference_host="node1")
    assert (result["exec_hosts"], result["reference"]) == (["node2"], "node1")


def test_slurm_controller_host_is_the_reference_only_when_it_is_in_the_play():
    assert run(controller="node1")["reference"] == "node1"
    assert run(controller="elsewhere")["reference"] == "ctl1"
    assert run(play={"galaxy1": [], "node1": ["exec"]})["reference"] == ""


def test_roles_from_the_inventory_groups():
    groups = {"galaxy1": ["galaxyservers"], "ctl1": ["slurmservers"], "node1": ["slurmexechosts"], "node2": []}
    result = run("galaxy1", play={"galaxy1": [], "ctl1": [], "node1": [], "node2": []}, groups=groups)
    assert result["exec_hosts"] == ["node1"]
    assert result["reference"] == "ctl1"


def test_a_galaxy_server_on_an_exec_node_has_both_parts_and_its_other_roles():
    result = run(play={"galaxy1": ["exec", "submit"]})
    assert result["roles"] == ["galaxy", "exec", "submit"]
    assert result["slurm_roles"] == ["exec", "submit"]


@pytest.mark.parametrize(
    "paths",
    [
        [{"name": "jobs", "path": "relative/jobs"}],
        [{"path": "/srv/jobs"}],
        [{"name": "jobs"}],
        ["/srv/jobs"],
        "/srv/jobs",
    ],
)
def test_bad_paths(paths):
    (problem,) = run(cluster_check_paths=paths)["problems"]
    assert problem.startswith("cluster_check_paths: ")
    assert "is not accepted; give a list of mappings, each with a name and an absolute path" in problem


@pytest.mark.parametrize(("tolerance", "wait"), [(0, 300), (300, 0), (300, -5), ("abc", 300)])
def test_numbers_must_be_above_zero(tolerance, wait):
    (problem,) = run(cluster_check_clock_tolerance=tolerance, cluster_check_job_wait=wait)["problems"]
    assert problem == (
        f"cluster_check_clock_tolerance ({tolerance}) and cluster_check_job_wait ({wait}) must be whole numbers of "
        "seconds above 0."
    )


def test_a_play_without_a_galaxy_server_or_exec_node():
    (problem,) = run(cluster_check_galaxy_hosts=[])["problems"]
    assert problem.startswith("The check needs a Galaxy server and at least one exec node in the play.")
    assert '(cluster_check_galaxy_hosts): []; exec nodes: ["node1", "node2"]' in problem
    assert run(play={"galaxy1": [], "ctl1": ["controller"]})["problems"]


def test_every_problem_at_once_and_a_bad_slurm_roles_on_this_host():
    result = run(play={"galaxy1": ["compiler"], "node1": ["exec"]}, cluster_check_job_wait=0, cluster_check_paths=[{}])
    assert [problem.partition(" ")[0] for problem in result["problems"]] == [
        "cluster_check_paths:",
        "cluster_check_clock_tolerance",
        "slurm_roles:",
    ]
    # Another host's bad slurm_roles is that host's problem.
    assert run("node1", play={"galaxy1": ["compiler"], "node1": ["exec"]})["problems"] == []


def test_the_filter_wants_a_dict():
    with pytest.raises(AnsibleFilterError, match="cluster_check_plan expects a dict"):
        cluster_check_plan(["x"])
