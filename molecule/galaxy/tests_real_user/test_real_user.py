"""The same Galaxy as tests/, switched to jobs as the real user (real_user.yml: gxhpc.cluster.galaxy_real_user with
its defaults, then a restart of the job handlers), as Galaxy's "Submitting Jobs as the Real User" describes it. A
Galaxy user whose email maps to a system account (alice@example.org, real_system_username: user_email) uploads a
dataset; the job conf sends the upload tool to the SlurmJobRunner, which submits through the runjob script as alice.

Molecule runs this after tests/ (molecule.yml's test_sequence): from the switch on, every DRMAA job is a real-user
job, so the DRMAA runner as the galaxy user is proven first.
"""

import os
import re
import subprocess
import time
import uuid

import pytest
import yaml
from gxhpc_testlib import bootstrap_instance, decoded_job_id, galaxy_url_of, user_instance, wait_for

# From molecule.yml: the bootstrap key in galaxy.yml and the admin in admin_users.
BOOTSTRAP_API_KEY = "gxhpc-e2e-bootstrap-key-5d7c2a"
ADMIN_EMAIL = "admin@example.org"
# prepare.yml's system account, and the Galaxy user whose email maps to it (the part before the @).
SYSTEM_USER = "alice"
GALAXY_USER_EMAIL = "alice@example.org"
GALAXY_YML = "/srv/galaxy/config/galaxy.yml"
JOB_WORKING_DIRECTORY = "/srv/galaxy/jobs"
HANDLER_UNITS = ["galaxy-handler@0.service", "galaxy-handler@1.service"]
# What a job handler logs once it takes jobs again (galaxy/jobs/handler.py).
HANDLER_READY = "job handler queue started"
# The job handlers' start after the switch: 1 to 6 minutes on a busy 2-core machine.
HANDLER_START_TIMEOUT = 600
UPLOAD_TIMEOUT = 300
# slurmdbd records a finished job a moment after slurmctld.
SACCT_TIMEOUT = 60
SLURM_JOB_ID = re.compile(r"^[1-9][0-9]*$")


def _playbook(*options):
    """Run real_user.yml against the scenario's inventory; its output, after asserting that it succeeded."""
    scenario = os.environ["MOLECULE_SCENARIO_DIRECTORY"]
    command = ["ansible-playbook", *options, "-i", os.environ["MOLECULE_INVENTORY_FILE"]]
    run = subprocess.run(
        [*command, os.path.join(scenario, "real_user.yml")], capture_output=True, text=True, check=False
    )
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-3000:]
    return run.stdout


def _recap_changed(output):
    return [int(n) for n in re.findall(r"^\S+\s+:\s+ok=\d+\s+changed=(\d+)", output, re.MULTILINE)]


def _main_pid(host, unit):
    return host.check_output("systemctl show --property MainPID --value %s", unit)


def _sha256(host, path):
    return host.run("sha256sum %s", path).stdout


@pytest.fixture(scope="module")
def switched(host):
    """real_user.yml in check mode (changes nothing), for real, then again (changes nothing); once the handlers
    it restarted take jobs again. Returns the three runs' recaps."""
    watched = [GALAXY_YML, "/etc/sudoers.d/gxhpc-galaxy-real-user", "/etc/gxhpc/real_user.json"]
    before = [_sha256(host, path) for path in watched]
    check = _playbook("--check", "--diff")
    assert [_sha256(host, path) for path in watched] == before, "check mode changed the host"

    pids = [_main_pid(host, unit) for unit in HANDLER_UNITS]
    since = host.check_output("date +%s")
    converge = _playbook()
    again = _playbook()
    if [_main_pid(host, unit) for unit in HANDLER_UNITS] != pids:

        def handlers_ready():
            journal = "journalctl --no-pager -o cat -u %s --since @%s"
            return all(HANDLER_READY in host.check_output(journal, unit, since) for unit in HANDLER_UNITS)

        assert wait_for(handlers_ready, HANDLER_START_TIMEOUT, interval=3), "the job handlers did not start again"
    return {"check": _recap_changed(check), "converge": _recap_changed(converge), "again": _recap_changed(again)}


@pytest.fixture(scope="module")
def bootstrap(host, switched):
    return bootstrap_instance(galaxy_url_of(host), BOOTSTRAP_API_KEY, HANDLER_START_TIMEOUT)


@pytest.fixture(scope="module")
def admin(host, bootstrap):
    return user_instance(bootstrap, galaxy_url_of(host), ADMIN_EMAIL)


@pytest.fixture(scope="module")
def alice(host, bootstrap):
    return user_instance(bootstrap, galaxy_url_of(host), GALAXY_USER_EMAIL)


@pytest.fixture(scope="module")
def galaxy_settings(host, switched):
    return yaml.safe_load(host.file(GALAXY_YML).content_string)


def test_the_switch_is_idempotent(switched):
    assert switched["again"] == [0], "real_user.yml changed something on its second run: %s" % switched


def test_galaxy_yml_has_the_settings_galaxys_docs_require(host, galaxy_settings):
    galaxy = galaxy_settings["galaxy"]
    assert galaxy["outputs_to_working_directory"] is True
    assert galaxy["real_system_username"] == "user_email"
    for key in ("drmaa_external_runjob_script", "drmaa_external_killjob_script", "external_chown_script"):
        assert galaxy[key].startswith("sudo -n /"), (key, galaxy[key])
    new_file_path = host.file(galaxy["new_file_path"])
    assert (new_file_path.user, new_file_path.mode) == ("root", 0o1777)
    assert str(galaxy_settings["gravity"]["umask"]) == "027"


def test_the_job_handlers_run_with_the_umask(host, switched):
    for unit in HANDLER_UNITS:
        status = host.check_output("cat /proc/%s/status", _main_pid(host, unit))
        assert re.search(r"^Umask:\s+0027$", status, re.MULTILINE), unit


def _sacct(host, external_id):
    """sacct's User, UID and State of the job's allocation, once slurmdbd has it finished."""

    def finished():
        line = host.check_output(
            "sacct --noheader --parsable2 --allocations --format=User,UID,State -j %s", external_id
        )
        return line if line.endswith(("COMPLETED", "FAILED", "CANCELLED", "TIMEOUT")) else None

    line = wait_for(finished, SACCT_TIMEOUT, interval=2)
    assert line, "sacct has no finished job %s" % external_id
    return line.split("|")


def _working_directory(host, admin, job_id):
    decoded = decoded_job_id(admin, job_id)
    found = host.check_output(
        "find %s -mindepth 2 -maxdepth 2 -type d -name %s", JOB_WORKING_DIRECTORY, str(decoded)
    ).split()
    assert len(found) == 1, found
    return found[0]


def test_a_dataset_is_made_by_a_slurm_job_of_the_real_user(host, admin, alice, galaxy_settings):
    """Through the API: the upload is ok with what was sent. In Slurm's accounting the job ran as alice and
    COMPLETED; the handler submitted it through the runjob script with alice's uid; the chown script handed the job
    working directory to alice before the job and back to galaxy after it, and everything in it is galaxy's again."""
    history_id = alice.histories.create_history(name="gxhpc e2e real user")["id"]
    content = "gxhpc real user %s\nsecond line\n" % uuid.uuid4().hex
    element = {"src": "pasted", "paste_content": content, "ext": "txt", "name": "real_user.txt"}
    payload = {"history_id": history_id, "targets": [{"destination": {"type": "hdas"}, "elements": [element]}]}
    result = alice.make_post_request(alice.url + "/tools/fetch", payload=payload)
    dataset_id, job_id = result["outputs"][0]["id"], result["jobs"][0]["id"]
    start = time.monotonic()
    dataset = alice.datasets.wait_for_dataset(dataset_id, maxwait=UPLOAD_TIMEOUT, interval=0.5, check=False)
    print("real user (DRMAA runner): upload to '%s' in %.1f s" % (dataset["state"], time.monotonic() - start))
    job = admin.jobs.show_job(job_id, full_details=True)
    assert dataset["state"] == "ok", "dataset is %s; job: %s" % (dataset["state"], job)
    assert alice.datasets.download_dataset(dataset_id).decode() == content

    destination = admin.jobs.get_destination_params(job_id)
    assert destination["Runner"] == "slurm", destination
    external_id = job["external_id"]
    assert SLURM_JOB_ID.match(external_id or ""), "external id %r is not a Slurm job id" % external_id

    account = host.user(SYSTEM_USER)
    assert _sacct(host, external_id) == [SYSTEM_USER, str(account.uid), "COMPLETED"]

    workdir = _working_directory(host, admin, job_id)
    runjob = galaxy_settings["galaxy"]["drmaa_external_runjob_script"]
    handler_log = host.check_output(
        "journalctl --no-pager -o cat -u galaxy-handler@%s", destination["Handler"].rsplit("_", 1)[1]
    )
    assert "Running command: %s %d %s/" % (runjob, account.uid, workdir) in handler_log, (
        "the handler did not submit job %s through %r as uid %d" % (job_id, runjob, account.uid)
    )

    # Galaxy's chown script calls for this directory, oldest first: to alice before the job, to galaxy after it.
    chowns = [
        line
        for line in host.check_output("journalctl --no-pager -o cat -t gxhpc_chown").splitlines()
        if "changed %r to " % workdir in line
    ]
    galaxy = host.user("galaxy")
    assert [line.split(" to ", 1)[1].split(" (")[0] for line in chowns] == [
        "%r:%d" % (SYSTEM_USER, account.gid),
        "%r:%d" % ("galaxy", galaxy.gid),
    ], chowns
    # outputs_to_working_directory: the job wrote its output under the directory, as alice.
    assert host.file(workdir + "/outputs").is_directory
    assert host.file(workdir).user == "galaxy"


def test_everything_in_the_job_directories_is_galaxys_again(host, switched):
    assert host.check_output("find %s -mindepth 3 ! -user galaxy", JOB_WORKING_DIRECTORY) == ""
