"""TPV's own mapper routes jobs with destinations sized from the cluster (gxhpc.cluster.tpv_destinations).

``tpv dry-run`` (TPV 3.3.0 in .cache/venv-galaxy-parser, with Galaxy 26.1.1's job configuration code) maps a tool
asking for 2 cores / 300 MB to the Slurm destination with --cpus-per-task=2 --mem=307, and refuses a tool asking
for more cores than the largest node has with TPV's "No destinations are available" error. Each dry-run costs
about 20 s of CPU.
"""

import os
import re
import subprocess

import pytest
import yaml
from ensure_venv import TPV_REQUIREMENT
from slurm_hosts import exec_host

from ansible_collections.gxhpc.cluster.plugins.module_utils import job_conf, job_conf_tpv, slurm_cluster

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


@pytest.fixture(scope="module")
def tpv(galaxy_python, tmp_path_factory):
    python = galaxy_python
    out = tmp_path_factory.mktemp("tpv")
    # one exec node with 2 CPUs and 2000 MB, 300 MB of it reserved for Galaxy: Slurm grants 1600 MB
    host = exec_host("node1", cpus=2, memory_mb=2000, reserved_memory_mb=300)
    resources = slurm_cluster.cluster_resources(
        slurm_cluster.node_list([], [host]), [{"name": "main", "Nodes": "ALL", "Default": True}]
    )
    destinations = job_conf_tpv.tpv_destinations(resources, runner="slurm")
    (out / "destinations.yml").write_text(yaml.safe_dump(destinations, sort_keys=False))
    tools = {
        "global": {"default_inherits": "default"},
        "tools": {
            "default": {"cores": 1, "mem": 0.25},
            "fits": {"cores": 2, "mem": 0.3},
            "too_many_cores": {"cores": 3, "mem": 0.3},
            "too_much_memory": {"cores": 1, "mem": 4},
        },
    }
    (out / "tools.yml").write_text(yaml.safe_dump(tools, sort_keys=False))
    config = {
        "runners": {
            "local": {"load": "galaxy.jobs.runners.local:LocalJobRunner"},
            "slurm": {"load": "galaxy.jobs.runners.slurm:SlurmJobRunner"},
        },
        "execution": {
            # `tpv dry-run` looks for this environment id
            "default": "tpv_dispatcher",
            "environments": {
                "tpv_dispatcher": {
                    "runner": "dynamic_tpv",
                    "tpv_config_files": [str(out / "destinations.yml"), str(out / "tools.yml")],
                }
            },
        },
    }
    assert job_conf.validate(config) == ([], [])
    (out / "job_conf.yml").write_text(job_conf.render_yaml(config))

    def dry_run(tool):
        command = [os.path.join(os.path.dirname(python), "tpv"), "dry-run", "--job-conf", str(out / "job_conf.yml")]
        result = subprocess.run(
            command + ["--tool", tool], capture_output=True, text=True, timeout=900, check=False, cwd=str(out)
        )
        return result.returncode, result.stdout, result.stderr

    return dry_run


def test_a_tool_that_fits_goes_to_slurm_with_its_cores_and_memory(tpv):
    returncode, stdout, stderr = tpv("fits")
    assert returncode == 0, stderr[-3000:]
    assert re.search(r"^id: slurm_main$", stdout, re.M), stdout
    assert re.search(r"^runner: slurm$", stdout, re.M), stdout
    spec = " ".join(stdout.split())
    assert "--cpus-per-task=2 --mem=307 --partition=main" in spec, stdout


@pytest.mark.parametrize("tool", ["too_many_cores", "too_much_memory"])
def test_a_tool_asking_more_than_the_node_has_is_refused_by_tpv(tpv, tool):
    returncode, stdout, stderr = tpv(tool)
    assert returncode != 0, stdout
    assert "No destinations are available to fulfill request: %s" % tool in stderr, stderr[-3000:]


def test_the_role_installs_the_tpv_release_tested_here():
    with open(os.path.join(ROOT, "roles", "galaxy_jobs", "defaults", "main.yml")) as handle:
        defaults = yaml.safe_load(handle)
    assert "total-perspective-vortex==%s" % defaults["galaxy_jobs_tpv_version"] == TPV_REQUIREMENT
    assert job_conf_tpv.TPV_REQUIREMENT == TPV_REQUIREMENT
