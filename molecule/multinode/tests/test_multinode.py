"""A Galaxy head, a controller and two exec nodes: what a Galaxy admin relies on, what breaks it, and faults.

Runs on the Ansible controller against the whole cluster (testinfra_hosts names the Galaxy head; the
other hosts are reached with node()). The tests run in file order: the cluster works, the readiness
check passes, each negative case makes it fail naming the fault (and is repaired), then the faults.
"""

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import time

import pytest
import testinfra
from gxhpc_testlib import node, run_ok, wait_for

INVENTORY = os.environ["MOLECULE_INVENTORY_FILE"]
PREFIX = "gxhpc-multinode-"
testinfra_hosts = [f"ansible://{PREFIX}galaxy?ansible_inventory={INVENTORY}"]
EXEC_NODES = [PREFIX + "exec1", PREFIX + "exec2"]
CONTROLLER = PREFIX + "ctl"
ANSIBLE_PLAYBOOK = shutil.which("ansible-playbook") or os.path.join(os.path.dirname(sys.executable), "ansible-playbook")
CONTAINER_SLURM_CONFIG = {"ProctrackType": "proctrack/linuxproc", "TaskPlugin": "task/none"}
FIGURES = os.path.join(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"], "fault-figures.json")


def as_galaxy(host, command):
    return run_ok(host, "runuser -u galaxy -- " + command)


def playbook(name, *extra, callback=None, extra_inventories=(), extra_env=None):
    """ansible-playbook on Molecule's inventory (and extra_inventories), timed; the finished process."""
    started = time.monotonic()
    env = dict(os.environ, **(extra_env or {}))
    if callback:
        env["ANSIBLE_STDOUT_CALLBACK"] = callback
    inventories = [arg for inventory in (INVENTORY, *extra_inventories) for arg in ("-i", inventory)]
    done = subprocess.run(
        [ANSIBLE_PLAYBOOK, *inventories, name, *extra],
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


# --- configless: the nodes hold no slurm.conf; a node added and removed with --limit ----------------------
# The scenario runs slurm_configless: true (molecule.yml). Debian 12's Slurm (22.05) has no sackd, so the
# Galaxy head, a submit host, keeps its copy of slurm.conf (docs/configless.md); the exec nodes hold none.

NEW_NODE = PREFIX + "exec3"
NEW_NODE_INVENTORY = os.path.join(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"], "exec3-inventory.yml")
FACT_CACHE = os.path.join(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"], "facts")


def test_exec_nodes_hold_no_slurm_conf_and_fetch_it_from_the_controller(host):
    controller = node(CONTROLLER)
    assert "enable_configless" in controller.file("/etc/slurm/slurm.conf").content_string
    for name in EXEC_NODES:
        exec_node = node(name)
        assert not exec_node.file("/etc/slurm/slurm.conf").exists, name
        assert "--conf-server" in run_ok(exec_node, "ps -o args= -C slurmd"), name
        # The client commands on the node read what slurmd fetched.
        assert re.search(rf"^SlurmctldHost\[0\]\s*=\s*{CONTROLLER}$", run_ok(exec_node, "scontrol show config"), re.M)
    assert host.file("/etc/slurm/slurm.conf").exists


def docker(*args, check=True):
    done = subprocess.run(["docker", *args], capture_output=True, text=True, timeout=300, check=False)
    assert not check or done.returncode == 0, f"docker {args}: {done.stdout}{done.stderr}"
    return done.stdout


@pytest.fixture(scope="module")
def new_node():
    """A fifth container, outside Molecule's inventory: a node a site adds to a running cluster."""
    docker("rm", "-f", NEW_NODE, check=False)
    docker(
        "run", "-d", "--name", NEW_NODE, "--hostname", NEW_NODE, "--network", "gxhpc-multinode",
        "--cap-add", "SYS_ADMIN", "--cgroupns", "host", "--tmpfs", "/run", "--tmpfs", "/run/lock",
        "-v", "/sys/fs/cgroup:/sys/fs/cgroup:rw", "-v", "gxhpc-multinode-shared:/srv/galaxy",
        "gxhpc/cluster:12", "/sbin/init",
    )  # fmt: skip
    try:
        # What prepare.yml gives the other nodes: systemd up, and Galaxy's account with its uid.
        docker("exec", NEW_NODE, "sh", "-c", "systemctl is-system-running --wait >/dev/null; "
               "groupadd -g 1450 galaxy && useradd -u 1450 -g galaxy -s /bin/bash -m galaxy", check=False)  # fmt: skip
        with open(NEW_NODE_INVENTORY, "w", encoding="utf-8") as handle:
            json.dump(
                {"slurmexechosts": {"hosts": {NEW_NODE: {"ansible_connection": "community.docker.docker"}}}}, handle
            )
        yield NEW_NODE
    finally:
        docker("rm", "-f", NEW_NODE, check=False)


def new_host(name):
    """The added node is in no inventory testinfra reads: reach it through Docker."""
    return testinfra.get_host(f"docker://{name}")


def cached(*extra, inventories=(), limit=None):
    """site.yml with a persistent fact cache, as docs/configless.md asks a site that uses --limit to have."""
    limit_args = ["--limit", limit] if limit else []
    return playbook(
        "gxhpc.cluster.site", *limit_args, "-e", json.dumps({"slurm_config": CONTAINER_SLURM_CONFIG}), *extra,
        callback="json", extra_inventories=inventories,
        extra_env={"ANSIBLE_CACHE_PLUGIN": "jsonfile", "ANSIBLE_CACHE_PLUGIN_CONNECTION": FACT_CACHE},
    )  # fmt: skip


def result_of(done):
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-2000:]
    return json.loads(done.stdout[done.stdout.index("{") :])


def changed_hosts(result):
    return {h for play in result["plays"] for t in play["tasks"] for h, r in t["hosts"].items() if r.get("changed")}


def test_limit_without_cached_facts_fails_before_any_change(host, new_node):
    # The controller's slurm.conf needs exec1's and exec2's CPUs and memory, which a run limited to the
    # controller and the new node does not gather: without a fact cache that says them, nothing changes.
    done = playbook(
        "gxhpc.cluster.site", "--limit", f"{CONTROLLER},{new_node}",
        "-e", json.dumps({"slurm_config": CONTAINER_SLURM_CONFIG}), extra_inventories=[NEW_NODE_INVENTORY],
    )  # fmt: skip
    assert done.returncode != 0
    said = done.stdout + done.stderr
    assert "outside this play (--limit)" in said and "fact cache" in said, said[-4000:]
    assert "changed=0" in done.stdout and "changed=1" not in done.stdout
    assert not new_host(new_node).file("/etc/default/slurmd").contains("conf-server")


def test_node_added_with_limit_runs_jobs_and_the_other_nodes_stay_unchanged(host, new_node):
    # Once without --limit, with the cache: what a site does before it starts limiting runs.
    result_of(cached())
    added = cached(inventories=[NEW_NODE_INVENTORY], limit=f"{CONTROLLER},{new_node}")
    record("configless_add_node_seconds", round(added.seconds, 1))
    assert changed_hosts(result_of(added)) <= {CONTROLLER, new_node}
    assert not new_host(new_node).file("/etc/slurm/slurm.conf").exists
    wait_idle(host, [new_node], timeout=120)
    # sbatch, as Galaxy submits: slurmctld launches the job. (srun from the head would fail until the
    # head's own slurm.conf copy knows the node's address: it launches the tasks itself.)
    out = "/srv/galaxy/var/tmp/exec3.out"
    as_galaxy(host, f"sbatch --wait -t 1 -w {new_node} -o {out} --wrap 'hostname -s'")
    assert host.file(out).content_string.strip() == new_node
    # A full run afterwards: the exec nodes fetched nothing new and have nothing to change; the head
    # (submit host with its own slurm.conf on Debian 12) gets the new node line.
    everyone = result_of(cached(inventories=[NEW_NODE_INVENTORY]))
    unchanged = set(EXEC_NODES) | {new_node}
    assert not changed_hosts(everyone) & unchanged, changed_tasks(everyone)


def test_node_removed_with_limit_leaves_the_cluster(host, new_node):
    # The node leaves the inventory; a run limited to the controller takes it out of slurm.conf.
    removed = cached(limit=CONTROLLER)
    assert changed_hosts(result_of(removed)) == {CONTROLLER}
    assert new_node not in node(CONTROLLER).file("/etc/slurm/slurm.conf").content_string
    assert wait_for(lambda: new_node not in node_states(host), 60), node_states(host)
    wait_idle(host, EXEC_NODES, timeout=120)
