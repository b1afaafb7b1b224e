"""Galaxy runs real tools on a Slurm cluster it shares no filesystem with, through Pulsar's REST and MQ transports.

Runs on the Molecule host: bioblend talks to Galaxy over the Galaxy container's address, and the cluster
host (gxhpc-pulsar-hpc) is reached with node(). The tests run in file order: the hosts share nothing,
each Pulsar runs as its own account (the MQ one listening on no port), cat1 reaches ok through the REST
Pulsar and Slurm, "Remove beginning1" through the broker and the MQ Pulsar, a job survives Pulsar being
stopped while Slurm runs it, and neither the token nor the broker's password is in a log on either host.
"""

import json
import os
import subprocess
import time
import uuid

import pytest
from gxhpc_testlib import ANSIBLE_PLAYBOOK, galaxy_fixtures, node, role_tags, run_ok, tag_alone, task_results, wait_for

INVENTORY = os.environ["MOLECULE_INVENTORY_FILE"]
GALAXY = "gxhpc-pulsar-galaxy"
CLUSTER = "gxhpc-pulsar-hpc"
testinfra_hosts = [f"ansible://{GALAXY}?ansible_inventory={INVENTORY}"]
# From molecule.yml: the bootstrap key in galaxy.yml, the admin in admin_users, Pulsar's token.
BOOTSTRAP_API_KEY = "gxhpc-e2e-bootstrap-key-a41f07"
ADMIN_EMAIL = "admin@example.org"
PULSAR_TOKEN = "gxhpc-e2e-pulsar-token-3b8e61d0"  # noqa: S105  a throwaway container's test token
AMQP_PASSWORD = "gxhpc-e2e-amqp-Pw-5d21c9"  # noqa: S105  the broker account's, likewise
JOB_TIMEOUT = 300
PROJECT = os.environ.get("MOLECULE_PROJECT_DIRECTORY", "")
CHECK_CLUSTER = os.path.join(PROJECT, "playbooks", "check_cluster.yml")
# Each tag alone: the roles this scenario is the only one to run (the default and drmaa scenarios run the others').
TAG_ROLES = ("pulsar", "galaxy_jobs")
OTHER_ROLES = ("slurm", "munge", "slurm_drmaa")
# A restart of Galaxy (converge changed the job conf) takes 1 to 6 minutes on a busy 2-core machine.
GALAXY_START_TIMEOUT = 600


@pytest.fixture(scope="module")
def cluster():
    return node(CLUSTER)


galaxy_url, bootstrap, admin, user = galaxy_fixtures(
    BOOTSTRAP_API_KEY, ADMIN_EMAIL, "pulsar-user@example.org", GALAXY_START_TIMEOUT
)


def _wait_ok(gi, dataset_id, label):
    start = time.monotonic()
    dataset = gi.datasets.wait_for_dataset(dataset_id, maxwait=JOB_TIMEOUT, interval=0.5, check=False)
    print("%s: '%s' after %.1f s" % (label, dataset["state"], time.monotonic() - start))
    return dataset


def _upload(gi, history_id, content, name):
    """A pasted dataset through upload1, which runs on Galaxy's side (the local runner)."""
    result = gi.tools.paste_content(content, history_id, file_type="txt", file_name=name)
    dataset = _wait_ok(gi, result["outputs"][0]["id"], "upload " + name)
    assert dataset["state"] == "ok", dataset
    assert gi.datasets.download_dataset(dataset["id"]).decode() == content
    return dataset["id"]


def _start_cat1(gi, history_id, first, second):
    inputs = {"input1": {"src": "hda", "id": first}, "queries_0|input2": {"src": "hda", "id": second}}
    result = gi.tools.run_tool(history_id, "cat1", inputs)
    return result["outputs"][0]["id"], result["jobs"][0]["id"]


def _two_inputs(user, label):
    history_id = user.histories.create_history(name="gxhpc pulsar %s" % label)["id"]
    contents = ["first %s %s\n" % (label, uuid.uuid4().hex), "second %s %s\n" % (label, uuid.uuid4().hex)]
    ids = [_upload(user, history_id, text, "%s-%d.txt" % (label, n)) for n, text in enumerate(contents)]
    return history_id, ids, "".join(contents)


def _slurm_accounting(cluster, pulsar_job_id):
    """State and user of Pulsar's Slurm job for this Pulsar job (named pulsar_<id> by Pulsar), from slurmdbd."""
    command = "sacct --noheader --parsable2 --allocations --format=State,User --name=pulsar_%s" % pulsar_job_id
    return wait_for(lambda: run_ok(cluster, command).strip() or None, 60, interval=2)


def _check_ran_through_pulsar(admin, cluster, job_id, runner="pulsar_rest"):
    destination = admin.jobs.get_destination_params(job_id)
    assert destination["Runner"] == runner, destination
    pulsar_job_id = admin.jobs.show_job(job_id, full_details=True)["external_id"]
    assert pulsar_job_id, "Galaxy recorded no Pulsar job id"
    assert _slurm_accounting(cluster, pulsar_job_id) == "COMPLETED|pulsar"


def test_the_hosts_share_no_volume():
    """Nothing Galaxy's host mounts is mounted on the cluster's (the host's cgroup tree aside)."""

    def sources(name):
        mounts = json.loads(subprocess.check_output(["docker", "inspect", "-f", "{{json .Mounts}}", name]))
        return {m.get("Name") or m["Source"] for m in mounts} - {"/sys/fs/cgroup"}

    common = sources(GALAXY) & sources(CLUSTER)
    assert not common, "the Galaxy and cluster containers share %s" % common


def test_galaxy_host_has_no_cluster_and_cluster_no_galaxy(host, cluster):
    assert not host.file("/etc/munge/munge.key").exists, "Galaxy's host has a MUNGE key"
    assert not host.file("/etc/slurm/slurm.conf").exists, "Galaxy's host has a slurm.conf"
    assert not cluster.file("/srv/galaxy").exists, "the cluster host has Galaxy's files"


def test_pulsar_runs_as_its_account_with_a_private_app_yml(cluster):
    assert cluster.service("pulsar").is_running
    servers = cluster.process.filter(comm="pulsar-serve")
    assert servers, "no pulsar-serve process"
    assert {p.user for p in servers} == {"pulsar"}
    app_yml = cluster.file("/etc/pulsar/app.yml")
    assert (app_yml.user, app_yml.mode) == ("pulsar", 0o600)


def test_cat1_runs_through_pulsar_and_slurm(admin, user, cluster):
    history_id, inputs, expected = _two_inputs(user, "rest")
    output_id, job_id = _start_cat1(user, history_id, *inputs)
    dataset = _wait_ok(user, output_id, "cat1 through Pulsar REST")
    assert dataset["state"] == "ok", admin.jobs.show_job(job_id, full_details=True)
    assert user.datasets.download_dataset(output_id).decode() == expected
    _check_ran_through_pulsar(admin, cluster, job_id)


def test_the_mq_pulsar_runs_as_its_account_listens_on_no_port_and_uses_galaxys_broker(host, cluster):
    """The MQ Pulsar (pulsar-main) connects out to the broker on Galaxy's host: the cluster takes no
    connection from Galaxy for it."""
    assert host.service("rabbitmq-server").is_running
    assert cluster.service("pulsar-mq").is_running
    mains = cluster.process.filter(comm="pulsar-main")
    assert mains, "no pulsar-main process"
    assert {p.user for p in mains} == {"pulsar"}
    listening = run_ok(cluster, "ss -Hltnp")
    for process in mains:
        assert "pid=%d," % process.pid not in listening, "pulsar-main listens: %s" % listening
    app_yml = cluster.file("/etc/pulsar-mq/app.yml")
    assert (app_yml.user, app_yml.mode) == ("pulsar", 0o600)
    connections = run_ok(host, "ss -Htn state established '( sport = :5672 )'")
    cluster_address = cluster.check_output("hostname -I").split()[0]
    assert cluster_address in connections, "Pulsar holds no connection to the broker: %s" % connections


def test_remove_beginning_runs_through_the_broker_pulsar_mq_and_slurm(admin, user, cluster):
    history_id = user.histories.create_history(name="gxhpc pulsar mq")["id"]
    lines = ["line %d %s\n" % (n, uuid.uuid4().hex) for n in range(3)]
    input_id = _upload(user, history_id, "".join(lines), "mq.txt")
    result = user.tools.run_tool(
        history_id, "Remove beginning1", {"input": {"src": "hda", "id": input_id}, "num_lines": 1}
    )
    output_id, job_id = result["outputs"][0]["id"], result["jobs"][0]["id"]
    dataset = _wait_ok(user, output_id, "Remove beginning1 through Pulsar MQ")
    assert dataset["state"] == "ok", admin.jobs.show_job(job_id, full_details=True)
    assert user.datasets.download_dataset(output_id).decode() == "".join(lines[1:])
    _check_ran_through_pulsar(admin, cluster, job_id, runner="pulsar_mq")


def _pulsar_slurm_jobs(cluster, state):
    return run_ok(cluster, "squeue --noheader --user=pulsar --states=%s --format=%%j" % state).split()


def test_a_job_survives_pulsar_stopped_while_slurm_runs_it(admin, user, cluster):
    """The node is drained so that the job waits in Slurm; Pulsar is stopped, Slurm runs the job, Pulsar
    is started again: it takes the job up from its persistence directory and Galaxy gets the output."""
    history_id, inputs, expected = _two_inputs(user, "restart")
    node_name = run_ok(cluster, "sinfo --noheader --Node --format=%N").split()[0]
    run_ok(cluster, "scontrol update nodename=%s state=drain reason=gxhpc-pulsar-restart-test" % node_name)
    try:
        output_id, job_id = _start_cat1(user, history_id, *inputs)
        pending = wait_for(lambda: _pulsar_slurm_jobs(cluster, "PENDING"), JOB_TIMEOUT)
        assert pending, "Pulsar submitted no job to Slurm: %s" % admin.jobs.show_job(job_id, full_details=True)
        run_ok(cluster, "systemctl stop pulsar")
        run_ok(cluster, "scontrol update nodename=%s state=resume" % node_name)
        finished = wait_for(lambda: not _pulsar_slurm_jobs(cluster, "PENDING,RUNNING,COMPLETING"), JOB_TIMEOUT)
        assert finished, "Slurm did not run %s" % pending
        assert user.datasets.show_dataset(output_id)["state"] != "ok", "the job was ok while Pulsar was stopped"
    finally:
        cluster.run("scontrol update nodename=%s state=resume" % node_name)
        run_ok(cluster, "systemctl start pulsar")
    dataset = _wait_ok(user, output_id, "cat1 with Pulsar restarted")
    assert dataset["state"] == "ok", admin.jobs.show_job(job_id, full_details=True)
    assert user.datasets.download_dataset(output_id).decode() == expected
    _check_ran_through_pulsar(admin, cluster, job_id)


@pytest.mark.parametrize("tag", role_tags(*TAG_ROLES))
def test_each_tag_alone_changes_nothing(tag):
    """On the converged hosts, each phase tag and role tag of pulsar (both Pulsars) and galaxy_jobs run alone: green,
    changed=0. Slurm's, MUNGE's and slurm-drmaa's tags are skipped, so only their preflight runs (issue 16)."""
    converge = os.path.join(os.environ["MOLECULE_SCENARIO_DIRECTORY"], "converge.yml")
    tag_alone(converge, tag, TAG_ROLES, skip_roles=OTHER_ROLES, record="pulsar")


def _report_rows(report, host):
    """{check: (result, detail)} of the readiness check's table for ``host``."""
    tables = task_results(report, "Compare every host's facts and the probe jobs")
    table = next(iter(tables.values()))["tables"][host]
    rows = {}
    for line in table[2:]:
        check, rest = line.split("  ", 1)
        result, _gap, detail = rest.strip().partition("  ")
        rows[check.strip()] = (result, detail.strip())
    return rows


def test_the_readiness_check_tests_the_network_instead_of_a_shared_filesystem():
    """gxhpc.cluster.check_cluster with every tag of cluster_check: Galaxy's host sends jobs only to Pulsar, so no
    shared path, user or MUNGE key is compared there; from it, the REST Pulsar takes the token and the broker the MQ
    runner's credentials; from the cluster, the broker does too and Galaxy's URL answers (issue 17)."""
    reports = {
        tag: tag_alone(CHECK_CLUSTER, tag, ("cluster_check",), record="pulsar") for tag in role_tags("cluster_check")
    }
    galaxy = _report_rows(reports["cluster_check"], GALAXY)
    assert galaxy["filesystem"][0] == "skip"
    assert galaxy["pulsar http://gxhpc-pulsar-hpc:8913/"][0] == "ok", galaxy
    assert galaxy["broker amqp://gxhpc-pulsar:***@gxhpc-pulsar-galaxy:5672/pulsar"][0] == "ok", galaxy
    assert not [check for check in galaxy if check.startswith(("path ", "user ", "munge"))], galaxy
    cluster = _report_rows(reports["report"], CLUSTER)
    assert cluster["broker amqp://gxhpc-pulsar:***@gxhpc-pulsar-galaxy:5672/pulsar"][0] == "ok", cluster
    assert cluster["galaxy http://gxhpc-pulsar-galaxy:8080"][0] == "ok", cluster
    assert cluster["munge.key"][0] == "ok", cluster


def test_the_readiness_check_names_a_wrong_token():
    """The REST destination with another token than Pulsar's: the check fails and names pulsar_token_refused."""
    job_conf = {
        "runners": {"pulsar_rest": {"load": "galaxy.jobs.runners.pulsar:PulsarRESTJobRunner"}},
        "execution": {
            "default": "pulsar",
            "environments": {
                "pulsar": {"runner": "pulsar_rest", "url": "http://gxhpc-pulsar-hpc:8913/", "private_token": "not-it"}
            },
        },
    }
    extra = json.dumps({"cluster_check_job_conf": job_conf})
    done = subprocess.run(
        [ANSIBLE_PLAYBOOK, "-i", INVENTORY, CHECK_CLUSTER, "-e", extra],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        env=dict(os.environ, ANSIBLE_STDOUT_CALLBACK="ansible.builtin.default", ANSIBLE_NOCOLOR="true"),
    )
    assert done.returncode != 0, done.stdout[-3000:]
    assert f"pulsar_token_refused on {GALAXY}" in done.stdout, done.stdout[-3000:]
    assert "answers 401" in done.stdout and "Fix: Give the destination" in done.stdout


@pytest.mark.parametrize("secret", [PULSAR_TOKEN, AMQP_PASSWORD], ids=["token", "amqp-password"])
def test_secrets_are_in_no_log_on_the_cluster(cluster, secret):
    """Every request to Pulsar carries the token in its query string, pulsar-main connects with the broker's
    password: no access log or error there may keep either."""
    files = cluster.run("grep -rlF -- %s /var/log /var/lib/pulsar 2>/dev/null", secret)
    assert files.stdout == "", "the secret is in %s" % files.stdout
    journal = cluster.run("journalctl --no-pager -o cat | grep -cF -- %s", secret)
    assert journal.stdout.strip() == "0", "the secret is in the cluster host's journal"


@pytest.mark.parametrize("secret", [PULSAR_TOKEN, AMQP_PASSWORD], ids=["token", "amqp-password"])
def test_secrets_are_in_no_log_on_galaxys_host(host, secret):
    """Galaxy calls Pulsar with ?private_token= (polls fail while Pulsar is stopped, above) and connects to the
    broker with its password; the job conf module's invocation is logged there too. Galaxy's database keeps
    destination params (expected); its journal, /var/log and log files under /srv/galaxy must not."""
    files = host.run(
        "{ grep -rlF -- %s /var/log 2>/dev/null;"
        " find /srv/galaxy -name '*.log' -exec grep -lF -- %s {} + 2>/dev/null; }",
        secret,
        secret,
    )
    assert files.stdout == "", "the secret is in %s" % files.stdout
    journal = host.run("journalctl --no-pager -o cat | grep -F -- %s | head -c 2000", secret)
    assert journal.stdout == "", "the secret is in Galaxy's host's journal: %s" % journal.stdout
