"""--check --diff on a fresh host predicts what the real converge then does.

The host has no package lists and no Slurm yet (the base image ships none), as a new server where
users run --check --diff first. Check mode must not fail (it fetches the package lists the install
needs), must change nothing under /etc, and must predict the node line (CPUs, RealMemory) that the
real converge then writes, here with one of the 2 cores and 512 MB kept back for Galaxy.
"""

import re

from conftest import docker, run_playbook, snapshot, snapshot_changes

HOST_VARS = {
    "slurm_roles": ["controller", "exec"],
    "slurm_config": {"ProctrackType": "proctrack/linuxproc", "TaskPlugin": "task/none"},
    "slurm_galaxy_server": True,
    "slurm_galaxy_reserved_cores": 1,
    "slurm_galaxy_reserved_memory_mb": 512,
}


def node_lines(text, prefix=""):
    return [line[len(prefix) :].strip() for line in text.splitlines() if line.startswith(f"{prefix}NodeName=")]


def test_check_mode_predicts_the_converge(container, tmp_path):
    cpus = int(docker("exec", container, "nproc", "--all").stdout)
    before = snapshot(container)
    check = run_playbook(tmp_path, container, "playbooks/slurm.yml", HOST_VARS, ["--check", "--diff"])
    output = check.stdout + check.stderr
    assert check.returncode == 0, output
    predicted = node_lines(output, "+")
    assert len(predicted) == 1, output
    assert re.search(rf"\bCPUs={cpus - 1}\b", predicted[0]), predicted
    changes = snapshot_changes(before, snapshot(container))
    assert "etc" not in changes and "packages" not in changes and "accounts" not in changes, changes

    converge = run_playbook(tmp_path, container, "playbooks/slurm.yml", HOST_VARS)
    assert converge.returncode == 0, converge.stdout + converge.stderr
    written = node_lines(docker("exec", container, "cat", "/etc/slurm/slurm.conf").stdout)
    assert written == predicted
