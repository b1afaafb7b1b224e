"""site.yml's decisions: which parts run on a host, and the summary of what ran."""

import pytest

from ansible_collections.gxhpc.cluster.plugins.module_utils import site_plan

SLURM = {"runners": {"slurm": {"load": "galaxy.jobs.runners.slurm:SlurmJobRunner"}}}
LOCAL = {"runners": {"local": {"load": "galaxy.jobs.runners.local:LocalJobRunner"}}}


def test_galaxy_server_with_a_slurm_job_conf_gets_everything_but_real_user():
    assert site_plan.plan({"galaxy_jobs_conf": SLURM}, ["galaxyservers"]) == {
        "galaxy_jobs": True,
        "slurm_drmaa": True,
        "galaxy_real_user": False,
        "check_cluster": True,
    }


def test_slurm_only_host_gets_nothing():
    assert not any(site_plan.plan({"slurm_roles": ["exec"]}, []).values())


def test_job_conf_outside_galaxyservers_is_not_used():
    assert not any(site_plan.plan({"galaxy_jobs_conf": SLURM}, ["slurmexechosts"]).values())


@pytest.mark.parametrize(
    "runner, drmaa",
    [
        ({"load": "galaxy.jobs.runners.slurm"}, True),
        ({"load": "galaxy.jobs.runners.univa:UnivaJobRunner"}, True),
        ({"load": "galaxy.jobs.runners.drmaa:DRMAAJobRunner"}, True),
        ({"load": "galaxy.jobs.runners.slurm:SlurmJobRunner", "enabled": False}, False),
        ({"load": "galaxy.jobs.runners.cli:ShellJobRunner"}, False),
        ({"load": "mysite.runners:Mine"}, False),
    ],
)
def test_slurm_drmaa_exactly_where_the_job_conf_module_counts_a_drmaa_runner(runner, drmaa):
    conf = {"runners": {"local": LOCAL["runners"]["local"], "r": runner}}
    assert site_plan.plan({"galaxy_jobs_conf": conf}, ["galaxyservers"])["slurm_drmaa"] is drmaa


@pytest.mark.parametrize("value, expected", [(True, True), ("yes", True), ("false", False), (False, False), (0, False)])
def test_switches_follow_ansibles_bool(value, expected):
    plan = site_plan.plan({"galaxy_jobs_conf": SLURM, "gxhpc_galaxy_jobs": value}, ["galaxyservers"])
    assert plan["galaxy_jobs"] is expected


def test_switch_that_is_not_a_boolean_is_named():
    with pytest.raises(site_plan.SitePlanError, match=r"gxhpc_check_cluster: 'maybe' is not a boolean"):
        site_plan.plan({"gxhpc_check_cluster": "maybe"}, [])


def test_real_user_alone_asks_for_the_check():
    plan = site_plan.plan({"gxhpc_galaxy_real_user": True}, [])
    assert plan == {"galaxy_jobs": False, "slurm_drmaa": False, "galaxy_real_user": True, "check_cluster": True}


def test_opt_outs_win():
    variables = {"galaxy_jobs_conf": SLURM, "gxhpc_slurm_drmaa": False, "gxhpc_check_cluster": False}
    assert site_plan.plan(variables, ["galaxyservers"]) == {
        "galaxy_jobs": True,
        "slurm_drmaa": False,
        "galaxy_real_user": False,
        "check_cluster": False,
    }


def test_summary_of_nothing_is_empty():
    skipped = {"skipped": True}
    assert site_plan.summary_lines({}, skipped, skipped) == []


def test_summary_says_a_check_that_did_not_run():
    assert site_plan.summary_lines({"check_cluster": True}, {"skipped": True}, None) == ["Readiness check: did not run"]
