"""What a user of a single-node cluster sees: MUNGE works, the node is idle, jobs run."""

import os

import pytest
from gxhpc_testlib import role_tags, run_ok, tag_alone

# The roles converge.yml (site.yml) runs here; slurm runs munge's phases under munge's tags.
ROLES = ("slurm", "munge")


def test_munge_key_file(host):
    key = host.file("/etc/munge/munge.key")
    assert key.user == "munge"
    assert key.group == "munge"
    assert key.mode == 0o400


def test_munge_key_unchanged_by_every_converge(host):
    history = host.file("/var/tmp/gxhpc-munge-key.sha256").content_string.splitlines()
    assert len(history) >= 2, "converge and idempotence should each have recorded the key"
    assert len(set(history)) == 1, f"the MUNGE key changed between converges: {history}"


def test_munge_round_trip(host):
    out = run_ok(host, "munge -n | unmunge")
    assert "STATUS:          Success (0)" in out or "Success" in out


def test_slurm_uid_fixed(host):
    slurm = host.user("slurm")
    assert slurm.uid == 64030
    assert slurm.gid == 64030


def test_node_idle(host):
    out = run_ok(host, "sinfo -h -N -o '%N %T'")
    states = [line.split()[1] for line in out.splitlines() if line.strip()]
    assert states and all(s.rstrip("*") == "idle" for s in states), out


def test_srun_hostname(host):
    out = run_ok(host, "srun -t 1 hostname")
    assert out.strip() == host.check_output("hostname -s")


def test_sbatch_wait_output(host):
    host.run("rm -f /tmp/gxhpc-sbatch.out")
    run_ok(
        host,
        "sbatch --wait -t 1 -o /tmp/gxhpc-sbatch.out --wrap 'echo hello from $SLURM_JOB_ID on $(hostname -s)'",
    )
    content = host.file("/tmp/gxhpc-sbatch.out").content_string
    assert content.startswith("hello from ")
    assert content.strip().endswith(host.check_output("hostname -s"))


def test_memory_request(host):
    # The GTN tutorial's variables leave RealMemory unset, so this fails with "Memory specification
    # can not be satisfied"; the role fills RealMemory in.
    run_ok(host, "srun -t 1 --mem=100 true")


@pytest.mark.parametrize("user", ["gxhpc-alice"])
def test_job_as_non_root_user(host, user):
    run_ok(host, f"id {user} || useradd --create-home --shell /bin/bash {user}")
    out = run_ok(host, f"runuser -u {user} -- srun -t 1 id -un")
    assert out.strip() == user


def test_realmemory_configured(host):
    out = run_ok(host, "scontrol show node -o")
    memory = int(out.split("RealMemory=")[1].split()[0])
    assert memory > 100


def test_accounting(host):
    if "dbd" not in host.ansible.get_variables().get("slurm_roles", []):
        pytest.skip("this instance runs no slurmdbd")
    conf = host.file("/etc/slurm/slurmdbd.conf")
    assert (conf.user, conf.group, conf.mode) == ("slurm", "slurm", 0o600)
    clusters = run_ok(host, "sacctmgr --noheader --parsable2 list cluster format=Cluster").split()
    assert "cluster" in clusters
    job_id = run_ok(host, "sbatch --parsable --wait -t 1 --wrap true").strip()
    # slurmctld sends the job's end to slurmdbd asynchronously.
    for _attempt in range(30):
        state = run_ok(host, f"sacct -n -X -P -j {job_id} -o State").strip()
        if state == "COMPLETED":
            break
        host.run("sleep 1")
    assert state == "COMPLETED"


@pytest.mark.parametrize("tag", role_tags(*ROLES))
def test_each_tag_alone_changes_nothing(tag):
    """On the converged hosts, each phase tag and each role tag runs alone: green, changed=0 (issue 16)."""
    tag_alone(os.path.join(os.environ["MOLECULE_SCENARIO_DIRECTORY"], "converge.yml"), tag, ROLES, record="default")
