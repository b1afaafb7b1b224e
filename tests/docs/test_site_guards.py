"""playbooks/site.yml decides what runs where as the tutorial's table says, and its summary shows what ran.

Both are run for real (ansible-playbook), but only their deciding play and their summary task, against
hosts that need no connection: fast enough to cover every case."""

import json
import os
import subprocess

import pytest
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.join(ROOT, ".venv", "bin")
GROUPS = ["gxhpc_site_galaxy_jobs", "gxhpc_site_slurm_drmaa", "gxhpc_site_galaxy_real_user", "gxhpc_site_check_cluster"]
SLURM_CONF = {
    "runners": {
        "local": {"load": "galaxy.jobs.runners.local:LocalJobRunner"},
        "slurm": {"load": "galaxy.jobs.runners.slurm:SlurmJobRunner"},
    },
    "execution": {"default": "slurm", "environments": {"slurm": {"runner": "slurm"}}},
}
LOCAL_CONF = {"runners": {"local": {"load": "galaxy.jobs.runners.local:LocalJobRunner", "workers": 2}}}
DRMAA_CONF = {"runners": {"sge": {"load": "galaxy.jobs.runners.drmaa:DRMAAJobRunner"}}}


def site_play(name):
    with open(os.path.join(ROOT, "playbooks", "site.yml")) as handle:
        plays = yaml.safe_load(handle)
    (play,) = [p for p in plays if p["name"] == name]
    return play


def run(tmp_path, plays, inventory):
    (tmp_path / "inventory.json").write_text(json.dumps(inventory))
    (tmp_path / "play.yml").write_text(yaml.safe_dump(plays))
    result = subprocess.run(
        [os.path.join(BIN, "ansible-playbook"), "-i", str(tmp_path / "inventory.json"), str(tmp_path / "play.yml")],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
        env=dict(
            os.environ,
            ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, ".cache", "collections"),
            ANSIBLE_STDOUT_CALLBACK="ansible.posix.json",
        ),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return json.loads(result.stdout)


# host: (in galaxyservers, its variables, the groups it must end up in)
CASES = {
    "slurm_only": (True, {"slurm_roles": ["controller", "exec"]}, []),
    "galaxy_slurm": (True, {"galaxy_jobs_conf": SLURM_CONF}, GROUPS[:2] + GROUPS[3:]),
    "galaxy_local_only": (True, {"galaxy_jobs_conf": LOCAL_CONF}, [GROUPS[0], GROUPS[3]]),
    "galaxy_drmaa_runner": (True, {"galaxy_jobs_conf": DRMAA_CONF}, GROUPS[:2] + GROUPS[3:]),
    "conf_outside_galaxyservers": (False, {"galaxy_jobs_conf": SLURM_CONF}, []),
    "forced": (False, {"gxhpc_galaxy_jobs": True, "gxhpc_slurm_drmaa": True}, GROUPS[:2] + GROUPS[3:]),
    "opted_out": (
        True,
        {"galaxy_jobs_conf": SLURM_CONF, "gxhpc_slurm_drmaa": False, "gxhpc_check_cluster": False},
        [GROUPS[0]],
    ),
    "real_user": (True, {"gxhpc_galaxy_real_user": True}, GROUPS[2:]),
    "string_false": (True, {"galaxy_jobs_conf": SLURM_CONF, "gxhpc_galaxy_jobs": "false"}, []),
    # As gxhpc.cluster.galaxy_job_conf counts DRMAA runners: a module-only load string is one, a disabled
    # runner is none (site.yml's own regex once said the opposite of both).
    "module_only_load": (
        True,
        {"galaxy_jobs_conf": {"runners": {"slurm": {"load": "galaxy.jobs.runners.slurm"}}}},
        GROUPS[:2] + GROUPS[3:],
    ),
    "disabled_drmaa_runner": (
        True,
        {
            "galaxy_jobs_conf": {
                "runners": {
                    "local": {"load": "galaxy.jobs.runners.local:LocalJobRunner"},
                    "slurm": {"load": "galaxy.jobs.runners.slurm:SlurmJobRunner", "enabled": False},
                }
            }
        },
        [GROUPS[0], GROUPS[3]],
    ),
}


def test_site_runs_each_part_only_where_the_inventory_asks(tmp_path):
    guard = site_play("Choose what the rest of the stack does on each host")
    report = {
        "name": "Report the groups",
        "hosts": "localhost",
        "gather_facts": False,
        "tasks": [{"name": "Groups", "ansible.builtin.debug": {"var": "groups"}}],
    }
    hosts = {name: dict(variables, ansible_connection="local") for name, (_galaxy, variables, _groups) in CASES.items()}
    inventory = {
        "all": {
            "hosts": dict(hosts, localhost={"ansible_connection": "local"}),
            "children": {"galaxyservers": {"hosts": {n: {} for n, case in CASES.items() if case[0]}}},
        }
    }
    result = run(tmp_path, [guard, report], inventory)
    groups = result["plays"][1]["tasks"][0]["hosts"]["localhost"]["groups"]
    for name, (_galaxy, _variables, expected) in CASES.items():
        found = [group for group in GROUPS if name in groups.get(group, [])]
        assert found == expected, name
    # Deciding is not a change: a second run of site.yml must report changed=0.
    assert result["stats"]["galaxy_slurm"]["changed"] == 0


SINFO = {"rc": 0, "stdout_lines": ["NODELIST PARTITION STATE CPUS MEMORY", "node1 main* idle 2 1900"]}
DRMAA = {
    "path": "/usr/local/lib/libdrmaa.so.1.0.8",
    "drmaa_implementation": "DRMAA for Slurm 1.1.6",
    "drm_system": "SLURM 24.11.5",
    "libslurm": "libslurm.so.42",
}
SKIPPED = {"skipped": True, "changed": False}


@pytest.mark.parametrize(
    "groups, variables, expected",
    [
        ([], {"__gxhpc_sinfo": SKIPPED, "__gxhpc_drmaa": SKIPPED}, None),
        (
            [],
            {"__gxhpc_sinfo": SINFO, "__gxhpc_drmaa": SKIPPED},
            [
                "Slurm nodes (sinfo on this controller):",
                "  NODELIST PARTITION STATE CPUS MEMORY",
                "  node1 main* idle 2 1900",
            ],
        ),
        (
            ["gxhpc_site_slurm_drmaa", "gxhpc_site_check_cluster"],
            {
                "__gxhpc_sinfo": SKIPPED,
                "__gxhpc_drmaa": DRMAA,
                "slurm_drmaa_library_path": "/usr/local/lib/libdrmaa.so.1",
                "gxhpc_galaxy_jobs_conf_file": "/srv/galaxy/config/job_conf.yml",
                "cluster_check_report": {"failures": [], "warnings_found": [{"name": "nfs"}], "failure_lines": []},
            },
            [
                "DRMAA library: /usr/local/lib/libdrmaa.so.1.0.8 (DRMAA for Slurm 1.1.6, DRM SLURM 24.11.5, "
                "linked against libslurm.so.42)",
                "Galaxy job conf: /srv/galaxy/config/job_conf.yml",
                "Readiness check: passed with 1 warning(s)",
            ],
        ),
        (
            ["gxhpc_site_slurm_drmaa", "gxhpc_site_check_cluster", "gxhpc_site_galaxy_real_user"],
            {
                "__gxhpc_sinfo": {"rc": 1, "stderr": "slurm_load_partitions: Unable to contact slurm controller\n"},
                "__gxhpc_drmaa": {"failed": False, "msg": "libslurm.so.41: cannot open shared object file"},
                "slurm_drmaa_library_path": "/usr/local/lib/libdrmaa.so.1",
                "cluster_check_report": {
                    "failures": [{"name": "uid_mismatch"}],
                    "warnings_found": [],
                    "failure_lines": ["uid_mismatch on node1: galaxy is 999 here, 1001 on galaxy1. Fix: ..."],
                },
            },
            [
                "Slurm nodes: sinfo failed: slurm_load_partitions: Unable to contact slurm controller",
                "DRMAA library: /usr/local/lib/libdrmaa.so.1 does not load: "
                "libslurm.so.41: cannot open shared object file",
                "Jobs run as the real user (docs/real_user.md)",
                "Readiness check: 1 failure(s) (cluster_check_fail is false):",
                "  uid_mismatch on node1: galaxy is 999 here, 1001 on galaxy1. Fix: ...",
            ],
        ),
        (
            ["gxhpc_site_check_cluster"],
            {"__gxhpc_sinfo": SKIPPED, "__gxhpc_drmaa": SKIPPED},
            ["Readiness check: did not run"],
        ),
    ],
    ids=["nothing", "slurm-only", "everything", "failures", "check-missing"],
)
def test_summary_shows_what_ran_and_nothing_else(tmp_path, groups, variables, expected):
    summary = site_play("Summary")
    (show,) = [task for task in summary["tasks"] if task["name"] == "Show what the stack is"]
    play = {"name": "Summary", "hosts": "node1", "gather_facts": False, "tasks": [show]}
    # What the deciding play gives each host: its plan, and the groups made from it.
    plan = {group[len("gxhpc_site_") :]: group in groups for group in GROUPS}
    inventory = {
        "all": {
            "hosts": {"node1": dict(variables, ansible_connection="local", gxhpc_site_plan=plan)},
            "children": {group: {"hosts": {"node1": {}}} for group in groups},
        }
    }
    result = run(tmp_path, [play], inventory)
    outcome = result["plays"][0]["tasks"][0]["hosts"]["node1"]
    if expected is None:
        assert outcome.get("skipped") is True, outcome
    else:
        assert outcome["msg"] == expected
