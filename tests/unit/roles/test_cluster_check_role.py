"""The cluster_check role through ansible-playbook on this machine (connection local): bad input fails in
preflight naming the variable, and a host that is not a Slurm cluster gets named failures, not a crash."""

import json
import subprocess
import sys

import pytest
from playbook_runs import ANSIBLE_PLAYBOOK, ansible_env

PLAYBOOK = """\
- name: Readiness check of this machine alone
  hosts: all
  gather_facts: false
  roles:
    - role: gxhpc.cluster.cluster_check
"""


def run(tmp_path, variables, check=False):
    inventory = {
        "all": {
            "hosts": {"gxhpc-local": {"ansible_connection": "local", "ansible_python_interpreter": sys.executable}},
            "children": {"galaxyservers": {"hosts": {"gxhpc-local": {}}}},
        }
    }
    (tmp_path / "inventory.json").write_text(json.dumps(inventory))
    (tmp_path / "vars.json").write_text(json.dumps(variables))
    (tmp_path / "play.yml").write_text(PLAYBOOK)
    env = ansible_env(ANSIBLE_STDOUT_CALLBACK="ansible.builtin.json", ANSIBLE_LOCALHOST_WARNING="false")
    args = [ANSIBLE_PLAYBOOK, "-i", str(tmp_path / "inventory.json"), "-e", "@" + str(tmp_path / "vars.json")]
    if check:
        args.append("--check")
    done = subprocess.run([*args, str(tmp_path / "play.yml")], capture_output=True, text=True, check=False, env=env)
    result = json.loads(done.stdout[done.stdout.index("{") :])
    tasks = result["plays"][0]["tasks"]
    return done.returncode, {t["task"]["name"]: t["hosts"]["gxhpc-local"] for t in tasks}


def failed_task(tasks):
    return next((name, r) for name, r in tasks.items() if r.get("failed"))


@pytest.mark.parametrize(
    "variables, message",
    [
        ({"cluster_check_paths": [{"name": "jobs", "path": "relative/jobs"}]}, "cluster_check_paths"),
        ({"cluster_check_paths": [{"path": "/srv/jobs"}]}, "cluster_check_paths"),
        ({"cluster_check_job_wait": 0}, "cluster_check_job_wait (0)"),
        ({"cluster_check_exec_hosts": ["gxhpc-local"], "cluster_check_galaxy_hosts": []}, "cluster_check_galaxy_hosts"),
    ],
)
def test_bad_input_fails_in_preflight(tmp_path, variables, message):
    rc, tasks = run(tmp_path, variables)
    assert rc != 0
    name, result = failed_task(tasks)
    assert message in result["msg"], result["msg"]
    assert "Gather paths, users, Python, hashes and clock" not in tasks, name


def test_a_machine_that_is_no_cluster_gets_named_failures(tmp_path):
    variables = {
        "cluster_check_exec_hosts": ["gxhpc-local"],
        "cluster_check_paths": [{"name": "scratch", "path": str(tmp_path)}],
        "cluster_check_galaxy_user": "root",
        "cluster_check_munge_key": str(tmp_path / "no-munge.key"),
        "cluster_check_slurm_conf": str(tmp_path / "no-slurm.conf"),
        "cluster_check_job_wait": 5,
    }
    rc, tasks = run(tmp_path, variables)
    assert rc != 0
    name, result = failed_task(tasks)
    assert name == "gxhpc.cluster.cluster_check : Fail on the named failures"
    for failure in ("munge_key_mismatch on gxhpc-local", "slurm_conf_mismatch on gxhpc-local"):
        assert failure in result["msg"]
    table = tasks["gxhpc.cluster.cluster_check : Show this host's summary"]["msg"]
    assert table[0] == "gxhpc-local (galaxy, exec)"
    assert any(line.startswith("path scratch") for line in table)
    # In check mode the same report does not fail the play.
    rc, tasks = run(tmp_path, variables, check=True)
    assert rc == 0
    assert (
        "Check mode" in tasks["gxhpc.cluster.cluster_check : Say why the failures do not fail a check-mode run"]["msg"]
    )
