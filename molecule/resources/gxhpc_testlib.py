"""Helpers the Molecule scenarios' tests share: reaching hosts, running commands, waiting, Galaxy's API.

molecule/conftest.py puts this directory on sys.path, so a test module says `from gxhpc_testlib import ...`.
"""

import json
import os
import shutil
import subprocess
import sys
import time
import uuid

import pytest
import testinfra
import yaml
from bioblend import ConnectionError as GalaxyConnectionError
from bioblend.galaxy import GalaxyInstance


def node(name):
    """A testinfra host for another instance of the scenario (testinfra_hosts names only the first)."""
    inventory = os.environ["MOLECULE_INVENTORY_FILE"]
    return testinfra.get_host(f"ansible://{name}?ansible_inventory={inventory}")


def run_ok(host, command):
    result = host.run(command)
    assert result.rc == 0, f"{command!r} failed ({result.rc}): {result.stdout}{result.stderr}"
    return result.stdout


def wait_for(predicate, timeout, interval=1.0):
    """predicate()'s first true value, or its last value once timeout seconds have passed."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(interval)


def galaxy_url_of(host):
    """Galaxy's URL on the instance's address, as the Molecule host reaches it."""
    return "http://%s:8080" % host.check_output("hostname -I").split()[0]


def bootstrap_instance(galaxy_url, key, timeout):
    """A GalaxyInstance with the bootstrap key, once Galaxy answers (converge may have just restarted it)."""
    gi = GalaxyInstance(galaxy_url, key=key)
    deadline = time.monotonic() + timeout
    while True:
        try:
            gi.config.get_version()
            return gi
        except GalaxyConnectionError:
            assert time.monotonic() < deadline, "Galaxy at %s does not answer" % galaxy_url
            time.sleep(3)


def user_instance(bootstrap, galaxy_url, email):
    """A GalaxyInstance for the local user with this email, created (with an API key) if missing."""
    users = bootstrap.users.get_users(f_email=email)
    if users:
        user = users[0]
    else:
        username = email.split("@")[0].replace(".", "-")
        user = bootstrap.users.create_local_user(username, email, uuid.uuid4().hex)
    key = bootstrap.users.get_or_create_user_apikey(user["id"])
    return GalaxyInstance(galaxy_url, key=key)


def decoded_job_id(admin, job_id):
    """The database id of a job, from its encoded API id (the job directory's and the handlers' logs' number)."""
    return int(admin.make_get_request(admin.url + "/configuration/decode/" + job_id).json()["decoded_id"])


def galaxy_fixtures(bootstrap_api_key, admin_email, user_email, start_timeout):
    """The module-scoped fixtures of a test module that talks to the Galaxy on its ``host``, in this order:
    ``galaxy_url``; ``bootstrap`` (a GalaxyInstance with the bootstrap key once Galaxy answers: converge may have
    just restarted it, so it waits up to ``start_timeout`` seconds); ``admin`` (the user ``admin_email``, who must be
    in admin_users); ``user`` (a plain user, ``user_email``). Bind them in the test module::

        galaxy_url, bootstrap, admin, user = galaxy_fixtures(BOOTSTRAP_API_KEY, ADMIN_EMAIL, USER_EMAIL, TIMEOUT)
    """

    @pytest.fixture(scope="module")
    def galaxy_url(host):
        return galaxy_url_of(host)

    @pytest.fixture(scope="module")
    def bootstrap(galaxy_url):
        return bootstrap_instance(galaxy_url, bootstrap_api_key, start_timeout)

    @pytest.fixture(scope="module")
    def admin(bootstrap, galaxy_url):
        gi = user_instance(bootstrap, galaxy_url, admin_email)
        assert gi.users.get_current_user()["is_admin"], f"{admin_email} is in admin_users but Galaxy says not admin"
        return gi

    @pytest.fixture(scope="module")
    def user(bootstrap, galaxy_url):
        return user_instance(bootstrap, galaxy_url, user_email)

    return galaxy_url, bootstrap, admin, user


# -- Each role's tags alone on a converged host (issue 16) ---------------------------------------------------------

ROOT = os.environ.get("MOLECULE_PROJECT_DIRECTORY") or os.path.dirname(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
)
ANSIBLE_PLAYBOOK = shutil.which("ansible-playbook") or os.path.join(os.path.dirname(sys.executable), "ansible-playbook")
INCLUDES = ("import_tasks", "include_tasks")


def _load_yaml(path):
    with open(path, encoding="utf-8") as handle:
        return yaml.safe_load(handle) or []


def _task_names(role, filename, seen=None):
    """The names of the tasks of roles/<role>/tasks/<filename>, with those of the files it imports and blocks."""
    seen = set() if seen is None else seen
    if filename in seen:
        return set()
    seen.add(filename)
    names = set()
    stack = list(_load_yaml(os.path.join(ROOT, "roles", role, "tasks", filename)))
    while stack:
        task = stack.pop()
        for block in ("block", "rescue", "always"):
            stack.extend(task.get(block) or [])
        if task.get("name"):
            names.add(task["name"])
        for key, value in task.items():
            included = value.get("file") if isinstance(value, dict) else value
            if key.split(".")[-1] in INCLUDES and isinstance(included, str) and "{{" not in included:
                names |= _task_names(role, included, seen)
    return names


def role_phases(role):
    """[(tags, task names)] for each task of roles/<role>/tasks/main.yml but those tagged always (preflight, set_vars):
    the phases (an imported file's tasks, or the task itself: an include_role, a conditional include)."""
    phases = []
    for task in _load_yaml(os.path.join(ROOT, "roles", role, "tasks", "main.yml")):
        tags = set(task.get("tags") or [])
        if "always" in tags:
            continue
        names = {task["name"]} if task.get("name") else set()
        for key, value in task.items():
            if key.split(".")[-1] in INCLUDES and isinstance(value, str) and "{{" not in value:
                names |= _task_names(role, value)
        phases.append((tags, names))
    return phases


def role_tags(*roles):
    """Every tag the roles' phases carry, their role tags among them, sorted: one run each for tag_alone."""
    return sorted({tag for role in roles for tags, _names in role_phases(role) for tag in tags})


def _role_of(task_name):
    """The role of a task as the json callback names it ("gxhpc.cluster.munge : Install"), '' outside roles."""
    return task_name.split(" : ", 1)[0].rsplit(".", 1)[-1] if " : " in task_name else ""


def tag_alone(playbook, tag, roles, skip_roles=(), record=None):
    """ansible-playbook ``playbook`` on Molecule's inventory with ``--tags tag`` (and ``--skip-tags`` the
    ``skip_roles``, so that only ``roles`` run beside what is tagged always): it must succeed, change nothing on any
    host, and run at least one task of each phase of ``roles`` that carries the tag (a dynamic include that the tag
    does not reach would otherwise pass by running nothing). Returns the json callback's report of the run; ``record``
    names the line (scenario, tag, seconds) appended to .cache/tags-alone.txt in the checkout."""
    command = [ANSIBLE_PLAYBOOK, "-i", os.environ["MOLECULE_INVENTORY_FILE"], playbook, "--tags", tag]
    if skip_roles:
        command += ["--skip-tags", ",".join(skip_roles)]
    env = dict(os.environ, ANSIBLE_STDOUT_CALLBACK="ansible.builtin.json", ANSIBLE_RETRY_FILES_ENABLED="false")
    started = time.monotonic()
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=900, check=False)
    seconds = time.monotonic() - started
    shown = " ".join(command[3:])
    try:
        report = json.loads(done.stdout[done.stdout.index("{") :])
    except ValueError:
        output = done.stdout[-3000:] + done.stderr[-3000:]
        raise AssertionError(f"{shown}: no JSON report (rc {done.returncode}):\n{output}") from None
    ran, changed, failed = set(), [], []
    for play in report.get("plays", []):
        for task in play.get("tasks", []):
            name = task["task"]["name"]
            ran.add(name)
            for host, result in task.get("hosts", {}).items():
                if result.get("failed") or result.get("unreachable"):
                    failed.append(f"{host}: {name}: {result.get('msg', '')}")
                elif result.get("changed"):
                    changed.append(f"{host}: {name}")
    assert done.returncode == 0 and not failed, f"{shown}: rc {done.returncode}, {failed}\n{done.stderr[-2000:]}"
    assert changed == [], f"{shown} changed something on a converged host: {changed}"
    stats = report.get("stats", {})
    assert stats and all(s.get("changed") == 0 for s in stats.values()), f"{shown}: {stats}"
    unreached = []
    for role in roles:
        for tags, names in role_phases(role):
            # The json callback names an include_role task without its role.
            if tag in tags and not names & {n.split(" : ", 1)[-1] for n in ran if _role_of(n) in (role, "")}:
                unreached.append(f"{role}'s phase {sorted(tags)} ({sorted(names)[:3]}...)")
    assert unreached == [], f"{shown} ran no task of {unreached}"
    if record:
        os.makedirs(os.path.join(ROOT, ".cache"), exist_ok=True)
        with open(os.path.join(ROOT, ".cache", "tags-alone.txt"), "a", encoding="utf-8") as handle:
            handle.write(f"{record} {tag} {seconds:.1f}\n")
    print(f"{shown}: {seconds:.1f} s")
    return report


def task_results(report, name):
    """{host: result} of the task called ``name`` (without its role) in a json callback ``report``."""
    for play in report.get("plays", []):
        for task in play.get("tasks", []):
            if task["task"]["name"].split(" : ", 1)[-1] == name:
                return task.get("hosts", {})
    raise AssertionError(f"no task {name!r} ran")
