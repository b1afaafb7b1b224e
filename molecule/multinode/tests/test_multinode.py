"""A Galaxy head, a controller and two exec nodes: what a Galaxy admin relies on, what breaks it, and faults.

Runs on the Ansible controller against the whole cluster (testinfra_hosts names the Galaxy head; the
other hosts are reached with node()). The tests run in file order: the cluster works, the readiness
check passes, each negative case makes it fail naming the fault (and is repaired), then the faults.
"""

import json
import os
import shlex
import shutil
import subprocess
import sys
import time

import pytest
import testinfra

INVENTORY = os.environ["MOLECULE_INVENTORY_FILE"]
PREFIX = "gxhpc-multinode-"
testinfra_hosts = [f"ansible://{PREFIX}galaxy?ansible_inventory={INVENTORY}"]
EXEC_NODES = [PREFIX + "exec1", PREFIX + "exec2"]
CONTROLLER = PREFIX + "ctl"
ANSIBLE_PLAYBOOK = shutil.which("ansible-playbook") or os.path.join(os.path.dirname(sys.executable), "ansible-playbook")
CONTAINER_SLURM_CONFIG = {"ProctrackType": "proctrack/linuxproc", "TaskPlugin": "task/none"}
FIGURES = os.path.join(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"], "fault-figures.json")


def node(name):
    return testinfra.get_host(f"ansible://{name}?ansible_inventory={INVENTORY}")


def run_ok(host, command):
    result = host.run(command)
    assert result.rc == 0, f"{command!r} failed ({result.rc}): {result.stdout}{result.stderr}"
    return result.stdout


def as_galaxy(host, command):
    return run_ok(host, "runuser -u galaxy -- " + command)


def playbook(name, *extra, callback=None):
    started = time.monotonic()
    env = dict(os.environ)
    if callback:
        env["ANSIBLE_STDOUT_CALLBACK"] = callback
    done = subprocess.run(
        [ANSIBLE_PLAYBOOK, "-i", INVENTORY, name, *extra],
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
        env=env,
    )
    done.seconds = time.monotonic() - started
    return done


def check_cluster(*extra):
    return playbook("gxhpc.cluster.check_cluster", *extra)


def node_states(host):
    out = run_ok(host, "sinfo -h -N -o '%N %T'")
    return dict(line.split() for line in out.splitlines() if line.strip())


def wait_for(predicate, timeout, interval=1.0):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(interval)


def wait_idle(host, names, timeout=180):
    started = time.monotonic()
    ok = wait_for(lambda: all(node_states(host).get(n, "").rstrip("*") == "idle" for n in names), timeout)
    assert ok, f"nodes not idle after {timeout} s: {node_states(host)}"
    return time.monotonic() - started


def record(key, value):
    figures = {}
    if os.path.exists(FIGURES):
        with open(FIGURES, encoding="utf-8") as handle:
            figures = json.load(handle)
    figures[key] = value
    with open(FIGURES, "w", encoding="utf-8") as handle:
        json.dump(figures, handle, indent=2)
    print(f"FIGURE {key}: {value}")


def job_state(host, job_id):
    out = host.run(f"scontrol show job -o {job_id}").stdout
    for field in out.split():
        if field.startswith("JobState="):
            return field.split("=", 1)[1]
    return None


# --- the cluster works --------------------------------------------------------------------------------


def test_both_exec_nodes_idle(host):
    states = wait_for(lambda: node_states(host), 60)
    assert sorted(states) == EXEC_NODES
    wait_idle(host, EXEC_NODES, timeout=60)


@pytest.mark.parametrize("target", EXEC_NODES)
def test_job_lands_on_the_node_it_is_pinned_to(host, target):
    out = as_galaxy(host, f"srun -t 1 -w {target} hostname -s")
    assert out.strip() == target


def test_jobs_see_the_shared_volume(host):
    stamp = str(time.time())
    run_ok(host, f"runuser -u galaxy -- sh -c 'echo {stamp} > /srv/galaxy/var/jobs_directory/from-head'")
    for target in EXEC_NODES:
        out = as_galaxy(host, f"srun -t 1 -w {target} cat /srv/galaxy/var/jobs_directory/from-head")
        assert out.strip() == stamp
    run_ok(host, "rm -f /srv/galaxy/var/jobs_directory/from-head")


def test_readiness_check_passes(host):
    done = check_cluster()
    record("check_cluster_seconds", round(done.seconds, 1))
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-2000:]
    for target in EXEC_NODES:
        assert f"ran on {target} as uid 1450" in done.stdout
    assert "shared with gxhpc-multinode-galaxy" in done.stdout
    assert "FAIL" not in done.stdout


# --- negative cases: each breaks one thing, the check names it, then it is repaired ----------------------


def expect_named_failure(name, where):
    done = check_cluster()
    assert done.returncode != 0, done.stdout[-4000:]
    assert f"{name} on {where}" in done.stdout, done.stdout[-6000:]
    return done


def test_node_without_the_shared_mount(host):
    # A tmpfs over /srv/galaxy with Galaxy's directories recreated: the paths exist on the node, so
    # only a job reading the head's probe file can tell that the mount is missing.
    exec1 = node(EXEC_NODES[0])
    run_ok(exec1, "mount -t tmpfs gxhpc-local /srv/galaxy")
    try:
        run_ok(
            exec1,
            "mkdir -p /srv/galaxy/server /srv/galaxy/venv /srv/galaxy/var/jobs_directory /srv/galaxy/var/objects "
            "/srv/galaxy/var/tmp /srv/galaxy/var/dependencies /srv/galaxy/var/shed_tools && "
            "chown -R galaxy:galaxy /srv/galaxy",
        )
        done = expect_named_failure("shared_path_not_shared", EXEC_NODES[0])
        assert f"shared_path_not_shared on {EXEC_NODES[1]}" not in done.stdout
        # Only the directories: a mount point that vanished leaves the paths missing outright.
        run_ok(exec1, "rm -rf /srv/galaxy/var")
        expect_named_failure("shared_path_missing", EXEC_NODES[0])
    finally:
        run_ok(exec1, "umount /srv/galaxy")
    assert exec1.file("/srv/galaxy/var/jobs_directory").is_directory


def test_uid_mismatch(host):
    exec2 = node(EXEC_NODES[1])
    run_ok(exec2, "usermod -u 1451 galaxy")
    try:
        expect_named_failure("uid_mismatch", EXEC_NODES[1])
    finally:
        run_ok(exec2, "usermod -u 1450 galaxy")


def test_nologin_shell(host):
    exec1 = node(EXEC_NODES[0])
    run_ok(exec1, "usermod -s /usr/sbin/nologin galaxy")
    try:
        expect_named_failure("login_shell", EXEC_NODES[0])
    finally:
        run_ok(exec1, "usermod -s /bin/bash galaxy")


def test_different_munge_key(host):
    exec2 = node(EXEC_NODES[1])
    # The real key is kept on the node itself and restored from there; it is never printed.
    run_ok(exec2, "cp -p /etc/munge/munge.key /root/munge.key.gxhpc-test")
    try:
        run_ok(
            exec2,
            "dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 status=none && "
            "chown munge:munge /etc/munge/munge.key && chmod 0400 /etc/munge/munge.key && systemctl restart munge",
        )
        done = expect_named_failure("munge_key_mismatch", EXEC_NODES[1])
        assert f"munge_key_mismatch on {EXEC_NODES[0]}" not in done.stdout
    finally:
        run_ok(exec2, "cp -p /root/munge.key.gxhpc-test /etc/munge/munge.key && systemctl restart munge")
        run_ok(exec2, "rm -f /root/munge.key.gxhpc-test")
    wait_idle(host, EXEC_NODES, timeout=180)


def test_readiness_check_passes_again_after_the_repairs(host):
    wait_idle(host, EXEC_NODES, timeout=120)
    done = check_cluster()
    assert done.returncode == 0, done.stdout[-6000:]


# --- faults --------------------------------------------------------------------------------------------


def site(extra_config):
    """Re-run the collection's main playbook with slurm.conf settings added; its JSON result."""
    config = dict(CONTAINER_SLURM_CONFIG, **extra_config)
    done = playbook("gxhpc.cluster.site", "-e", json.dumps({"slurm_config": config}), callback="json")
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    return json.loads(done.stdout[done.stdout.index("{") :])


def changed_tasks(result):
    """Names of the tasks and handlers that changed something, with the hosts they changed."""
    changed = {}
    for play in result["plays"]:
        for task in play["tasks"]:
            hosts = [h for h, r in task["hosts"].items() if r.get("changed")]
            if hosts:
                # "role : task" for a role's tasks and handlers.
                changed.setdefault(task["task"]["name"].split(" : ")[-1], []).extend(hosts)
    return changed


def test_running_job_survives_reconfigure_and_slurmctld_restart(host):
    controller = node(CONTROLLER)
    release = "/srv/galaxy/var/tmp/release-survivor"
    run_ok(host, f"rm -f {release} /srv/galaxy/var/tmp/survivor.out")
    # The job runs until the test lets it finish, so it is certainly running through both events.
    job_id = as_galaxy(
        host,
        f"sbatch --parsable -w {EXEC_NODES[0]} -t 10 --mem=16 -o /srv/galaxy/var/tmp/survivor.out "
        f"--wrap 'while [ ! -e {release} ]; do sleep 1; done; echo survived'",
    ).strip()
    assert wait_for(lambda: job_state(host, job_id) == "RUNNING", 60), job_state(host, job_id)

    # A slurm.conf change that scontrol reconfigure applies: the role must not restart anything.
    current = controller.file("/etc/slurm/slurm.conf").content_string
    level = "debug" if "SlurmctldDebug=verbose" in current else "verbose"
    changed = changed_tasks(site({"SlurmctldDebug": level}))
    assert f"SlurmctldDebug={level}" in controller.file("/etc/slurm/slurm.conf").content_string
    assert changed.get("Reconfigure Slurm") == [CONTROLLER], changed
    assert "Restart slurmctld" not in changed and "Restart slurmd" not in changed, changed
    after_reconfigure = job_state(host, job_id)

    run_ok(controller, "systemctl restart slurmctld")
    assert wait_for(lambda: host.run("scontrol ping").rc == 0, 60)
    after_restart = job_state(host, job_id)

    run_ok(host, f"touch {release}")
    final = wait_for(lambda: job_state(host, job_id) in ("COMPLETED", "FAILED", "CANCELLED", "NODE_FAIL"), 60)
    final_state = job_state(host, job_id)
    output = host.file("/srv/galaxy/var/tmp/survivor.out").content_string
    survived = after_reconfigure == "RUNNING" and after_restart == "RUNNING" and final_state == "COMPLETED"
    record(
        "running_job",
        {
            "after_reconfigure": after_reconfigure,
            "after_slurmctld_restart": after_restart,
            "final": final_state,
            "survived": survived,
        },
    )
    assert final and survived, (after_reconfigure, after_restart, final_state)
    assert output.strip() == "survived"


def test_exec_node_returns_to_idle_after_slurmd_stop_and_start(host):
    exec2 = node(EXEC_NODES[1])
    run_ok(exec2, "systemctl stop slurmd")
    # slurmctld would notice a silent node only after SlurmdTimeout (300 s); mark it down now as it then would.
    run_ok(node(CONTROLLER), f"scontrol update NodeName={EXEC_NODES[1]} State=DOWN Reason=gxhpc-fault-test")
    assert node_states(host)[EXEC_NODES[1]].rstrip("*") == "down"
    started = time.monotonic()
    run_ok(exec2, "systemctl start slurmd")
    wait_idle(host, [EXEC_NODES[1]], timeout=180)
    seconds = time.monotonic() - started
    record("node_back_to_idle", {"node": EXEC_NODES[1], "seconds_from_slurmd_start_to_idle": round(seconds, 1)})
    wait_idle(host, EXEC_NODES, timeout=30)
    record("nodes_idle", dict(node_states(host)))


def test_200_queued_jobs_survive_a_rerun_with_a_config_change(host):
    out_dir = "/srv/galaxy/var/tmp/queued200"
    run_ok(host, f"rm -rf {out_dir} && install -d -o galaxy -g galaxy {out_dir}")
    # Held, so that all 200 are certainly queued while the playbook runs; released afterwards.
    submit = (
        f"for i in $(seq 1 200); do sbatch --parsable -H -J gxhpc-q200 -t 1 -c 1 --mem=16 -o {out_dir}/%j.out "
        "--wrap 'echo done' || exit 1; done"
    )
    job_ids = as_galaxy(host, f"sh -c {shlex.quote(submit)}").split()
    assert len(job_ids) == 200

    # Back to the converged configuration: a second slurm.conf change, applied by reconfigure.
    changed = changed_tasks(site({}))
    assert changed.get("Reconfigure Slurm") == [CONTROLLER], changed
    pending = as_galaxy(host, "squeue -h -n gxhpc-q200 -t PD -o %i").split()
    still_there = len(set(pending) & set(job_ids))

    as_galaxy(host, "scontrol release " + ",".join(job_ids))
    started = time.monotonic()
    empty = wait_for(lambda: host.run("squeue -h -n gxhpc-q200 -o %i").stdout.strip() == "", 600, interval=3)
    seconds = time.monotonic() - started
    outputs = host.run(f"grep -l '^done$' {out_dir}/*.out | wc -l").stdout.strip()
    record(
        "queued_jobs",
        {
            "submitted": 200,
            "still_queued_after_rerun": still_there,
            "completed": int(outputs or 0),
            "seconds_to_drain": round(seconds, 1),
        },
    )
    assert still_there == 200
    assert empty, "jobs still queued after 600 s"
    assert int(outputs) == 200
    wait_idle(host, EXEC_NODES, timeout=60)
