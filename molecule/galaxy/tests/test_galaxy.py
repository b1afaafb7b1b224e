"""What a Galaxy admin checks after connecting Galaxy to Slurm: an upload is taken from PostgreSQL by
one of gravity's two job handlers (never the web worker) and runs as a Slurm job with the resources
its destination asked for, and Slurm's accounting remembers the job after slurmctld has forgotten
it. Variant 1 (CLI runner) always runs; variant 2 (DRMAA runner) needs a slurm-drmaa release
tarball, SLURM_DRMAA_TARBALL or ../shared/slurm-drmaa's (as molecule.yml picks it), and so does variant 3:
TPV routes two site tools with destinations sized from the cluster (the slurm role's
slurm_cluster_resources through gxhpc.cluster.tpv_destinations), one sized 2 cores / 300 MB, one asking
for more cores than any node has, which TPV refuses at routing.

The tests run on the Molecule host and talk to Galaxy with bioblend over the container's address.
"""

import json
import os
import re
import subprocess
import time
import uuid

import pytest
import yaml
from gxhpc_testlib import decoded_job_id, galaxy_fixtures, wait_for

# From molecule.yml: the bootstrap key in galaxy.yml, the admin in admin_users, the slurmdbd password.
BOOTSTRAP_API_KEY = "gxhpc-e2e-bootstrap-key-5d7c2a"
ADMIN_EMAIL = "admin@example.org"
DBD_PASSWORD = "gxhpc-e2e-dbd-S3cr3t-9f41"  # noqa: S105  a throwaway container's test password
# What both destinations of molecule.yml ask Slurm for.
DESTINATION_CPUS = 2
DESTINATION_MEM_MB = 300
# gravity's job handlers (galaxy.yml: gravity.handlers.handler, processes 2): their Galaxy server names
# and gravity's systemd units (galaxy-handler@<process>), which log to the journal, as the web worker's does.
HANDLER_UNITS = {"handler_0": "galaxy-handler@0.service", "handler_1": "galaxy-handler@1.service"}
WEB_UNIT = "galaxy-gunicorn.service"
GALAXY_YML = "/srv/galaxy/config/galaxy.yml"
# Variant 3: the site tools TPV routes (prepare.yml installs them, molecule.yml's TPV tools.yml sizes them).
TPV_SIZED_TOOL = "gxhpc_slots"
TPV_TOO_BIG_TOOL = "gxhpc_too_big"
TPV_TOO_BIG_CORES = 3
# Slurm's job ids are positive integers.
SLURM_JOB_ID = re.compile(r"^[1-9][0-9]*$")
UPLOAD_TIMEOUT = 300
# A restart of Galaxy (converge changed the job conf) takes 1 to 6 minutes on a busy 2-core machine.
GALAXY_START_TIMEOUT = 600
# MinJobAge is 2 s, but slurmctld purges old jobs only once a minute.
FORGET_TIMEOUT = 150
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
DRMAA_TARBALL = os.environ.get("SLURM_DRMAA_TARBALL") or os.path.join(
    os.path.dirname(ROOT), "shared", "slurm-drmaa", "slurm-drmaa-1.1.6.tar.gz"
)


def _skip(message):
    """Skip, and leave the message where `make molecule` and `make test` print it in their last lines."""
    skips = os.environ.get("GXHPC_SKIPS_FILE")
    if skips:
        with open(skips, "a", encoding="utf-8") as handle:
            handle.write(f"molecule galaxy: {message}\n")
    pytest.skip(message)


# Converge may have just restarted Galaxy (a changed job conf): the bootstrap fixture gives it time to answer.
galaxy_url, bootstrap, admin, user = galaxy_fixtures(
    BOOTSTRAP_API_KEY, ADMIN_EMAIL, "e2e-user@example.org", GALAXY_START_TIMEOUT
)


def _wait_ok(user, dataset_id, label):
    """Wait for the dataset; print and return the seconds from upload to ok."""
    start = time.monotonic()
    # Poll every half second (bioblend's default is 3 s), so the time measured is Galaxy's and Slurm's.
    dataset = user.datasets.wait_for_dataset(dataset_id, maxwait=UPLOAD_TIMEOUT, interval=0.5, check=False)
    elapsed = time.monotonic() - start
    print("%s: upload to '%s' in %.1f s" % (label, dataset["state"], elapsed))
    _record_for_benchmark(label, dataset["state"], elapsed)
    return dataset, elapsed


def _record_for_benchmark(label, state, elapsed):
    """Leave the time where benchmarks/bench.py picks it up (.cache/bench in the checkout)."""
    directory = os.path.join(ROOT, ".cache", "bench")
    os.makedirs(directory, exist_ok=True)
    path = os.path.join(directory, "galaxy_upload_to_ok.json")
    record = {}
    if os.path.exists(path):
        with open(path, encoding="utf-8") as handle:
            record = json.load(handle)
    record.setdefault("runs", {}).setdefault(label, []).append({"state": state, "seconds": round(elapsed, 2)})
    times = [r["seconds"] for runs in record["runs"].values() for r in runs if r["state"] == "ok"]
    record["upload_to_ok_s"] = sorted(times)[len(times) // 2] if times else None
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(record, handle, indent=2)


def _upload_with_upload1(user, history_id, label):
    """The classic upload tool (upload1), as the tool form submits it."""
    content = "gxhpc %s %s\nsecond line\n" % (label, uuid.uuid4().hex)
    result = user.tools.paste_content(content, history_id, file_type="txt", file_name="variant1.txt")
    return result["outputs"][0]["id"], result["jobs"][0]["id"], content


def _upload_with_fetch(user, history_id, label):
    """The data-fetch upload tool (__DATA_FETCH__), as the current upload dialog submits it."""
    content = "gxhpc %s %s\nsecond line\n" % (label, uuid.uuid4().hex)
    payload = {
        "history_id": history_id,
        "targets": [
            {
                "destination": {"type": "hdas"},
                "elements": [{"src": "pasted", "paste_content": content, "ext": "txt", "name": "variant2.txt"}],
            }
        ],
    }
    result = user.make_post_request(user.url + "/tools/fetch", payload=payload)
    return result["outputs"][0]["id"], result["jobs"][0]["id"], content


def _run_site_tool(user, history_id, tool_id):
    result = user.tools.run_tool(history_id, tool_id, {"label": "gxhpc"})
    return result["outputs"][0]["id"], result["jobs"][0]["id"]


def _run_sized_tool(user, history_id, _label):
    """The TPV-routed site tool that prints what its job got."""
    dataset_id, job_id = _run_site_tool(user, history_id, TPV_SIZED_TOOL)
    return dataset_id, job_id, "GALAXY_SLOTS=%d GALAXY_MEMORY_MB=%d\n" % (DESTINATION_CPUS, DESTINATION_MEM_MB)


def _journal(host, unit):
    return host.check_output("journalctl --no-pager -o cat -u %s", unit)


def _check_a_handler_ran_it(host, admin, job_id, handler, external_id, runner):
    """The job's handler (Galaxy's destination params for the job) is one of gravity's handlers, whose log
    shows it dispatching and submitting the job; the web worker's log never mentions dispatching it."""
    assert handler in HANDLER_UNITS, "job %s was handled by %r, not one of %s" % (
        job_id,
        handler,
        sorted(HANDLER_UNITS),
    )
    decoded = decoded_job_id(admin, job_id)
    handler_log = _journal(host, HANDLER_UNITS[handler])
    assert "(%d) Job dispatched" % decoded in handler_log, "%s's log does not show job %d dispatched" % (
        handler,
        decoded,
    )
    queued = "(%d) queued as %s" if runner == "slurm" else "(%d) queued with identifier: %s"
    assert queued % (decoded, external_id) in handler_log, "%s's log does not show job %d queued as %s" % (
        handler,
        decoded,
        external_id,
    )
    assert "(%d) Job dispatched" % decoded not in _journal(host, WEB_UNIT), "the web worker dispatched job %d" % decoded


def _slurm_job_is_forgotten(host, job_id):
    return host.run("scontrol show job %s" % job_id).rc != 0


def _galaxy_destination_id(host, admin, job_id):
    """The job's destination id in Galaxy's database (the API does not show it): TPV's destination."""
    decoded = decoded_job_id(admin, job_id)
    query = "SELECT destination_id FROM job WHERE id = %d" % decoded  # noqa: S608  an integer, not input
    return host.check_output("runuser -u postgres -- psql -tAc %s galaxy", query)


def _sacct_allocation(host, external_id):
    """sacct's State, AllocCPUS, AllocTRES (as a dict) and Partition of the Slurm job's allocation."""
    line = host.check_output(
        "sacct --noheader --parsable2 --allocations --format=State,AllocCPUS,AllocTRES,Partition -j %s", external_id
    )
    assert len(line.splitlines()) == 1, line
    state, cpus, tres, partition = line.split("|")
    return state, cpus, dict(item.split("=", 1) for item in tres.split(",") if "=" in item), partition


def _check_upload(host, admin, user, label, upload, runner):
    """Run a job (an upload, or a site tool) and follow it: a handler, the runner, Slurm, the accounting."""
    history_id = user.histories.create_history(name="gxhpc e2e %s" % label)["id"]
    dataset_id, job_id, content = upload(user, history_id, label)
    dataset, _elapsed = _wait_ok(user, dataset_id, label)
    job = admin.jobs.show_job(job_id, full_details=True)
    assert dataset["state"] == "ok", "dataset is %s; job: %s" % (dataset["state"], job)

    # The dataset holds exactly what was sent (or what the site tool printed).
    assert user.datasets.download_dataset(dataset_id).decode() == content

    # The job ran through the expected runner, as a Slurm job.
    destination = admin.jobs.get_destination_params(job_id)
    assert destination["Runner"] == runner, destination
    external_id = job["external_id"]
    assert SLURM_JOB_ID.match(external_id or ""), "external id %r is not a Slurm job id" % external_id
    assert destination["Runner Job ID"] == external_id, destination
    _check_a_handler_ran_it(host, admin, job_id, destination["Handler"], external_id, runner)

    # GALAXY_SLOTS and GALAXY_MEMORY_MB as the job script saw them: Galaxy's core job metrics
    # record both from inside the job.
    metrics = {m["name"]: m["raw_value"] for m in admin.jobs.get_metrics(job_id) if m["plugin"] == "core"}
    assert float(metrics["galaxy_slots"]) == DESTINATION_CPUS, metrics
    assert float(metrics["galaxy_memory_mb"]) == DESTINATION_MEM_MB, metrics

    # Slurm's accounting remembers the job after slurmctld has forgotten it (MinJobAge).
    deadline = time.monotonic() + FORGET_TIMEOUT
    while not _slurm_job_is_forgotten(host, external_id):
        assert time.monotonic() < deadline, "slurmctld still knows job %s after %s s" % (external_id, FORGET_TIMEOUT)
        time.sleep(5)
    state, cpus, tres, partition = _sacct_allocation(host, external_id)
    assert (state, cpus) == ("COMPLETED", str(DESTINATION_CPUS)), (state, cpus, tres)
    # What Slurm granted: the destination's CPUs and memory, as TRES.
    assert (tres.get("cpu"), tres.get("mem")) == (str(DESTINATION_CPUS), "%dM" % DESTINATION_MEM_MB), tres
    return job_id, partition


def test_galaxy_runs_as_the_galaxy_user(host):
    gunicorn = host.process.filter(comm="gunicorn")
    assert gunicorn, "no gunicorn process"
    assert {p.user for p in gunicorn} == {"galaxy"}


def _environment(host, unit):
    """The environment of a unit's main process, as a dict."""
    pid = host.check_output("systemctl show --property MainPID --value %s", unit)
    assert pid not in ("", "0"), "%s is not running" % unit
    text = host.check_output("tr '\\0' '\\n' < /proc/%s/environ", pid)
    return dict(line.split("=", 1) for line in text.splitlines() if "=" in line)


def test_galaxy_database_is_postgresql(host):
    galaxy_yml = host.file(GALAXY_YML).content_string
    assert "database_connection: postgresql:///galaxy" in galaxy_yml
    tables = host.check_output(
        "runuser -u postgres -- psql -tAc \"SELECT count(*) FROM pg_tables WHERE tablename = 'job'\" galaxy"
    )
    assert tables == "1", "Galaxy's job table is not in PostgreSQL's galaxy database"


def test_two_job_handlers_run_as_galaxy(host):
    for unit_name in HANDLER_UNITS.values():
        unit = host.service(unit_name)
        assert unit.is_running, "%s is not running" % unit.name
        assert host.check_output("systemctl show --property User --value %s", unit.name) == "galaxy"


def test_drmaa_library_path_reaches_the_handlers_only_from_galaxy_jobs(host):
    """DRMAA_LIBRARY_PATH is in the handlers' environment because galaxy_jobs put it into gravity.handlers in
    galaxy.yml; the web worker, which runs no jobs, has none, and nothing else (a drop-in, the job conf) sets it."""
    gravity = yaml.safe_load(host.file(GALAXY_YML).content_string)["gravity"]
    configured = (gravity["handlers"]["handler"].get("environment") or {}).get("DRMAA_LIBRARY_PATH")
    if not os.path.isfile(DRMAA_TARBALL):
        assert configured is None, "no DRMAA runner, yet galaxy.yml sets DRMAA_LIBRARY_PATH %r" % configured
        return
    assert configured and host.file(configured).exists, "galaxy.yml's handlers get DRMAA_LIBRARY_PATH %r" % configured
    assert "DRMAA_LIBRARY_PATH" not in (gravity.get("gunicorn") or {}).get("environment", {})
    for unit in HANDLER_UNITS.values():
        assert _environment(host, unit).get("DRMAA_LIBRARY_PATH") == configured, unit
        assert host.check_output("systemctl show --property DropInPaths --value %s", unit) == "", unit
    assert "DRMAA_LIBRARY_PATH" not in _environment(host, WEB_UNIT)
    assert "drmaa_library_path" not in host.file("/srv/galaxy/config/job_conf.yml").content_string


# Where the job's metadata step ran: in the Slurm job its script ends with this command (Galaxy's
# command_factory), and Galaxy's Celery worker logs each set_job_metadata task with the job's id.
JOB_METADATA_COMMAND = "python metadata/set.py"
CELERY_UNIT = "galaxy-celery.service"
CELERY_METADATA_DONE = "Successfully executed Celery task set_job_metadata"
CELERY_LOG_TIMEOUT = 60


def _job_script(host, admin, job_id):
    decoded = decoded_job_id(admin, job_id)
    path = "/srv/galaxy/jobs/%03d/%d/galaxy_%d.sh" % (decoded // 1000, decoded, decoded)
    return decoded, host.file(path).content_string


def test_variant1_cli_runner_upload_runs_on_slurm(host, admin, user):
    job_id, _partition = _check_upload(host, admin, user, "variant1-cli", _upload_with_upload1, "cli")
    # galaxy_jobs_metadata_celery (molecule.yml): the CLI environment's job ran the tool alone, and the
    # handler had the Celery worker set the dataset's metadata (the dataset is ok, so it was set).
    decoded, script = _job_script(host, admin, job_id)
    assert script and JOB_METADATA_COMMAND not in script, "job %d still sets its metadata in Slurm" % decoded
    # The handler waited for the task's result, so it is done; its lines may reach the journal a moment later.
    received = re.compile(r"'kwargsrepr': \"\{[^}]*'job_id': %d[,}]" % decoded)

    def both_logged():
        log = _journal(host, CELERY_UNIT)
        return log if received.search(log) and CELERY_METADATA_DONE in log else None

    celery_log = wait_for(both_logged, CELERY_LOG_TIMEOUT, interval=2) or _journal(host, CELERY_UNIT)
    assert received.search(celery_log), "the Celery worker never received job %d's set_job_metadata" % decoded
    assert CELERY_METADATA_DONE in celery_log, "the Celery worker logged no finished set_job_metadata"


def _skip_without_drmaa(variant):
    if not os.path.isfile(DRMAA_TARBALL):
        _skip(
            f"{variant} SKIPPED: no slurm-drmaa release tarball ({DRMAA_TARBALL} is not a file; set "
            "SLURM_DRMAA_TARBALL, see molecule/drmaa/skip-reason)"
        )


def test_variant2_drmaa_runner_upload_runs_on_slurm(host, admin, user):
    _skip_without_drmaa("variant 2 (DRMAA runner)")
    job_id, _partition = _check_upload(host, admin, user, "variant2-drmaa", _upload_with_fetch, "slurm")
    # Its environment sets embed_metadata_in_job: true, so galaxy_jobs_metadata_celery left the step in the job.
    decoded, script = _job_script(host, admin, job_id)
    assert JOB_METADATA_COMMAND in script, "job %d's script has no metadata step" % decoded


def test_variant3_tpv_sizes_a_tool_from_the_cluster(host, admin, user):
    """TPV's rule (2 cores, 0.29296875 GB) on the destination made from slurm_cluster_resources: the job gets
    GALAXY_SLOTS=2 and GALAXY_MEMORY_MB=300, and Slurm granted cpu=2,mem=300M in that partition."""
    _skip_without_drmaa("variant 3 (TPV, through the DRMAA runner)")
    job_id, partition = _check_upload(host, admin, user, "variant3-tpv", _run_sized_tool, "slurm")
    assert _galaxy_destination_id(host, admin, job_id) == "slurm_" + partition, partition
    native_specification = admin.jobs.get_destination_params(job_id).get("native_specification")
    assert native_specification == "--nodes=1 --ntasks=1 --cpus-per-task=%d --mem=%d --partition=%s" % (
        DESTINATION_CPUS,
        DESTINATION_MEM_MB,
        partition,
    ), native_specification


def test_variant3_tpv_refuses_more_cores_than_any_node_has(host, admin, user):
    """A tool asking for more cores than any node has errors at routing with TPV's message, seen through
    Galaxy's API, and never reaches Slurm (instead of pending there forever)."""
    _skip_without_drmaa("variant 3 (TPV, through the DRMAA runner)")
    node_cpus = [int(c) for c in host.check_output("sinfo --noheader --Node --format=%c").split()]
    assert node_cpus and max(node_cpus) < TPV_TOO_BIG_CORES, node_cpus
    history_id = user.histories.create_history(name="gxhpc e2e variant3-tpv-too-big")["id"]
    dataset_id, job_id = _run_site_tool(user, history_id, TPV_TOO_BIG_TOOL)
    dataset = user.datasets.wait_for_dataset(dataset_id, maxwait=UPLOAD_TIMEOUT, interval=0.5, check=False)
    job = admin.jobs.show_job(job_id, full_details=True)
    assert dataset["state"] == "error", "dataset is %s; job: %s" % (dataset["state"], job)
    message = "No destinations are available to fulfill request: %s" % TPV_TOO_BIG_TOOL
    assert message in (dataset.get("misc_info") or ""), dataset.get("misc_info")
    assert job["state"] == "error", job
    assert not job.get("external_id"), "TPV refused it, yet it has the runner id %r" % job["external_id"]
    names = host.check_output("sacct --allusers --allocations --noheader --starttime=2000-01-01 --format=JobName%200")
    assert TPV_TOO_BIG_TOOL not in names, "Slurm got a %s job: %s" % (TPV_TOO_BIG_TOOL, names)


def test_handlers_started_without_database_races(host):
    """prepare.yml starts the web worker first and the handlers once the API answers (the tables exist):
    no handler's log shows the UniqueViolation of concurrent table creation, or a thread dying."""
    for unit in list(HANDLER_UNITS.values()) + [WEB_UNIT]:
        log = _journal(host, unit)
        assert "UniqueViolation" not in log, "%s's log has a UniqueViolation" % unit
        assert "Exception in thread" not in log, "a thread of %s died" % unit


def test_dbd_password_is_in_no_log_on_the_host(host):
    # Anything on the host that logs: files under /var/log, the journal, Galaxy's and gravity's logs.
    files = host.run("grep -rlF -- %s /var/log /srv/galaxy/data /etc/galaxy 2>/dev/null", DBD_PASSWORD)
    assert files.stdout == "", "the slurmdbd password is in %s" % files.stdout
    journal = host.run("journalctl --no-pager -o cat | grep -cF -- %s", DBD_PASSWORD)
    assert journal.stdout.strip() == "0", "the slurmdbd password is in the journal"


def test_dbd_password_is_in_no_ansible_output_at_vvv():
    """Converge again at -vvv with --diff and look for the password in everything Ansible printed."""
    scenario = os.environ["MOLECULE_SCENARIO_DIRECTORY"]
    inventory = os.environ["MOLECULE_INVENTORY_FILE"]
    run = subprocess.run(
        ["ansible-playbook", "-vvv", "--diff", "-i", inventory, os.path.join(scenario, "converge.yml")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert "slurmdbd.conf" in run.stdout, "the output does not show the tasks that handle the password"
    assert DBD_PASSWORD not in run.stdout + run.stderr, "the slurmdbd password is in the -vvv output"
