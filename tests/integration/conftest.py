"""Fixtures for tests that run playbooks against throwaway systemd containers."""

import json
import os
import re
import subprocess
import time
import uuid

import pytest
from playbook_runs import ansible_env

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.join(ROOT, ".venv", "bin")


def docker(*args, check=True):
    return subprocess.run(["docker", *args], check=check, capture_output=True, text=True)


def wait_for_boot(name, timeout=120):
    """Wait until systemd in the container has booted (boot-time tmpfiles would race apt in /tmp).

    Right after the start, systemctl cannot reach systemd's bus and returns at once, so ask again.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = docker("exec", name, "systemctl", "is-system-running", "--wait", check=False).stdout.strip()
        if state in ("running", "degraded"):
            return state
        time.sleep(1)
    raise TimeoutError(f"{name} did not finish booting within {timeout} s")


def start_container(version="12"):
    """Start and boot a systemd container from gxhpc/debian:<version>; return its name."""
    name = f"gxhpc-it-{uuid.uuid4().hex[:8]}"
    docker(
        "run", "-d", "--name", name, "--hostname", name, "--cap-add", "SYS_ADMIN",
        "--tmpfs", "/run", "--tmpfs", "/run/lock", "--cgroupns=host",
        "-v", "/sys/fs/cgroup:/sys/fs/cgroup:rw", f"gxhpc/debian:{version}", "/sbin/init",
    )  # fmt: skip
    try:
        wait_for_boot(name)
    except BaseException:
        docker("rm", "-f", name, check=False)
        raise
    return name


@pytest.fixture
def container(request):
    """A fresh, booted systemd container from gxhpc/debian:<version> (default 12)."""
    name = start_container(getattr(request, "param", "12"))
    try:
        yield name
    finally:
        docker("rm", "-f", name, check=False)


class UnchangedHosts:
    """Fresh containers for tests that must change nothing: one is reused while tests leave it as
    they found it (snapshot before and after), and replaced after a test that changed it."""

    def __init__(self):
        self.name = None
        self.before = None

    def take(self):
        if self.name is None:
            self.name = start_container()
        self.before = snapshot(self.name)
        return self.name, self.before

    def give_back(self):
        if self.name is not None and snapshot_changes(self.before, snapshot(self.name)):
            self.remove()

    def remove(self):
        if self.name is not None:
            docker("rm", "-f", self.name, check=False)
        self.name = None


@pytest.fixture(scope="session")
def _unchanged_hosts():
    hosts = UnchangedHosts()
    try:
        yield hosts
    finally:
        hosts.remove()


@pytest.fixture
def unchanged_host(_unchanged_hosts):
    """(container, snapshot before the test): a container as fresh as a new one, for a test that
    asserts it changes nothing; a test that changed it gets it replaced for the next."""
    yield _unchanged_hosts.take()
    _unchanged_hosts.give_back()


def run_playbook(tmp_path, host, playbook, host_vars, extra_args=()):
    """Run a playbook of this checkout against ``host`` (a container); return the CompletedProcess."""
    inventory = tmp_path / "inventory.json"
    inventory.write_text(
        json.dumps({"all": {"hosts": {host: dict(host_vars, ansible_connection="community.docker.docker")}}})
    )
    return subprocess.run(
        [os.path.join(BIN, "ansible-playbook"), "-i", str(inventory), os.path.join(ROOT, playbook), *extra_args],
        capture_output=True,
        text=True,
        env=ansible_env(),
        cwd=ROOT,
        check=False,
    )


def installed(host, package):
    result = docker("exec", host, "dpkg-query", "-W", "-f", "${Status}", package, check=False)
    return result.returncode == 0 and "install ok installed" in result.stdout


def snapshot(host):
    """What a failed preflight must leave as it was: every path under /etc (type, mode, owner, size,
    mtime, checksum), the installed packages, and the accounts."""
    etc = docker(
        "exec", host, "sh", "-c",
        "find /etc -xdev -printf '%y %m %u:%g %s %T@ %p\\n' | sort -k7; "
        "find /etc -xdev -type f -exec md5sum {} + | sort -k2",
    ).stdout  # fmt: skip
    packages = docker("exec", host, "dpkg-query", "-W", "-f", "${Package} ${Status}\\n").stdout
    accounts = docker("exec", host, "getent", "passwd").stdout + docker("exec", host, "getent", "group").stdout
    return {"etc": etc.splitlines(), "packages": packages.splitlines(), "accounts": accounts.splitlines()}


def snapshot_changes(before, after):
    """Lines that differ between two snapshots, by kind: {'etc': [...], 'packages': [...], ...}."""
    changes = {}
    for kind in before:
        old, new = set(before[kind]), set(after[kind])
        diff = sorted(f"- {line}" for line in old - new) + sorted(f"+ {line}" for line in new - old)
        if diff:
            changes[kind] = diff
    return changes


def recap_changed(output):
    """The changed= counts of the PLAY RECAP, one per host."""
    return [int(n) for n in re.findall(r"\bchanged=(\d+)", output.split("PLAY RECAP", 1)[-1])]
