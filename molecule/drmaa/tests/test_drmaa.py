"""What a Galaxy admin relies on: libdrmaa talks to this cluster's Slurm and runs jobs."""

import json
import os
import re

import pytest
from gxhpc_testlib import role_tags, tag_alone

LIBRARY = "/usr/local/lib/libdrmaa.so.1"
RECORD = "/etc/ansible/facts.d/slurm_drmaa.fact"
# The Slurm ABI of each Debian release: the soname slurm-drmaa must be linked against.
LIBSLURM = {"12": "libslurm.so.38", "13": "libslurm.so.42"}


def _debian_major(host):
    return host.file("/etc/debian_version").content_string.strip().split(".")[0]


def _slurm_version(host):
    out = host.check_output("sinfo --version")  # "slurm 22.05.8"
    return out.split()[1]


@pytest.fixture(scope="module")
def drmaa_info(host):
    result = host.ansible("gxhpc.cluster.drmaa_info", "path=" + LIBRARY, check=False)
    assert not result.get("failed"), result
    return result


def test_drmaa_info_reports_this_clusters_slurm(host, drmaa_info):
    assert drmaa_info["drm_system"] == "SLURM " + _slurm_version(host)
    assert drmaa_info["drm_version"] == _slurm_version(host)
    assert drmaa_info["drmaa_implementation"].startswith("DRMAA for Slurm")
    assert drmaa_info["drmaa_version"] == "1.0"


def test_library_is_linked_against_the_systems_libslurm(host, drmaa_info):
    assert drmaa_info["libslurm"] == LIBSLURM[_debian_major(host)]
    system = host.check_output("readelf --dynamic /usr/lib/$(uname -m)-linux-gnu/libslurm.so")
    assert re.search(r"Library soname: \[%s\]" % re.escape(drmaa_info["libslurm"]), system)


def test_build_record(host, drmaa_info):
    record = json.loads(host.file(RECORD).content_string)
    assert record["libslurm"] == drmaa_info["libslurm"]
    assert record["prefix"] == "/usr/local"
    assert record["library"] == LIBRARY
    assert drmaa_info["drmaa_implementation"].endswith(record["version"])
    assert len(record["source_sha256"]) == 64
    assert record["cflags"] == "-g -O0"


def test_library_is_built_without_optimisation(host):
    """Galaxy's cluster docs: slurm-drmaa built with -g -O0 (debug symbols, no optimisation)."""
    producers = host.check_output("readelf --debug-dump=info %s | grep -m3 DW_AT_producer", LIBRARY)
    assert " -g" in producers and " -O0" in producers, producers


def test_library_is_in_the_linker_cache(host):
    assert "libdrmaa.so.1 " in host.check_output("ldconfig -p")


def _run_job(host, name, code):
    output = "/home/drmaatest/%s.out" % name
    host.run("rm -f %s" % output)
    cmd = host.run(
        "cd /home/drmaatest && runuser -u drmaatest -- env DRMAA_LIBRARY_PATH=%s "
        "/opt/drmaa-venv/bin/python /opt/drmaa_job.py %s %s",
        LIBRARY,
        output,
        str(code),
    )
    assert cmd.rc == 0, cmd.stderr
    return json.loads(cmd.stdout.strip().splitlines()[-1]), host.file(output)


def test_drmaa_job_completes_with_exit_status_0(host):
    result, output = _run_job(host, "ok", 0)
    assert result["has_exited"] is True
    assert result["exit_status"] == 0
    assert result["was_aborted"] is False
    assert output.exists
    assert output.user == "drmaatest"
    assert output.content_string.strip() == "hello from Slurm job %s" % result["job_id"]


def test_drmaa_job_exit_status_3_is_reported(host):
    result, output = _run_job(host, "three", 3)
    assert result["has_exited"] is True
    assert result["exit_status"] == 3
    assert output.content_string.strip() == "hello from Slurm job %s" % result["job_id"]


# --- each tag alone (issue 16) -----------------------------------------------------------------------


@pytest.mark.parametrize("tag", role_tags("slurm_drmaa"))
def test_each_tag_alone_changes_nothing(tag):
    """On the converged hosts, each phase tag and the role tag of slurm_drmaa run alone: green, changed=0.
    slurm's and munge's tags are skipped (the default scenario runs them), so only their preflight runs."""
    converge = os.path.join(os.environ["MOLECULE_SCENARIO_DIRECTORY"], "converge.yml")
    tag_alone(converge, tag, ("slurm_drmaa",), skip_roles=("slurm", "munge"), record="drmaa")
