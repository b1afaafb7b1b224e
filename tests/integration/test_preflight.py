"""Bad variables fail in preflight, naming the variable and what is accepted, before any change."""

import pytest
from conftest import installed, run_playbook

CONTAINER_CONFIG = {"ProctrackType": "proctrack/linuxproc", "TaskPlugin": "task/none"}


@pytest.mark.parametrize(
    "host_vars, expected",
    [
        (
            {"slurm_roles": ["controler"]},
            ["slurm_roles", "controler", "controller", "exec", "submit"],
        ),
        (
            {"slurm_roles": ["exec"]},
            ["no host in this play has the", "controller role", "slurm_controller_host"],
        ),
        (
            {"slurm_roles": ["controller", "exec"], "slurm_nodes": [{"name": "node[01-02]", "CPUs": 2}]},
            ["slurm_nodes", "node01", "node02", "not", "provided by any exec host"],
        ),
        (
            {"slurm_roles": ["controller", "exec"], "munge_key": "not base64!"},
            ["munge_key is not base64"],
        ),
    ],
    ids=["role-typo", "no-controller", "unprovided-node", "bad-munge-key"],
)
def test_bad_input_fails_before_any_change(container, tmp_path, host_vars, expected):
    result = run_playbook(tmp_path, container, "playbooks/slurm.yml", dict(host_vars, slurm_config=CONTAINER_CONFIG))
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    for text in expected:
        assert text in output, f"{text!r} not in output:\n{output}"
    assert "changed=0" in output
    for package in ("munge", "slurmctld", "slurmd", "slurm-client"):
        assert not installed(container, package), f"{package} was installed despite the bad input"
