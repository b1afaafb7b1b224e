"""Helpers the Molecule scenarios' tests share: reaching hosts, running commands, waiting, Galaxy's API.

molecule/conftest.py puts this directory on sys.path, so a test module says `from gxhpc_testlib import ...`.
"""

import os
import time
import uuid

import testinfra
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
