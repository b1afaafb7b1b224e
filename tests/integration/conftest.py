"""Fixtures for tests that run playbooks against throwaway systemd containers."""

import json
import os
import subprocess
import time
import uuid

import pytest

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


@pytest.fixture
def container(request):
    """A fresh, booted systemd container from gxhpc/debian:<version> (default 12)."""
    version = getattr(request, "param", "12")
    name = f"gxhpc-it-{uuid.uuid4().hex[:8]}"
    docker(
        "run", "-d", "--name", name, "--hostname", name, "--cap-add", "SYS_ADMIN",
        "--tmpfs", "/run", "--tmpfs", "/run/lock", "--cgroupns=host",
        "-v", "/sys/fs/cgroup:/sys/fs/cgroup:rw", f"gxhpc/debian:{version}", "/sbin/init",
    )  # fmt: skip
    try:
        wait_for_boot(name)
        yield name
    finally:
        docker("rm", "-f", name, check=False)


def run_playbook(tmp_path, host, playbook, host_vars, extra_args=()):
    """Run a playbook of this checkout against ``host`` (a container); return the CompletedProcess."""
    inventory = tmp_path / "inventory.json"
    inventory.write_text(
        json.dumps({"all": {"hosts": {host: dict(host_vars, ansible_connection="community.docker.docker")}}})
    )
    env = dict(
        os.environ,
        ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, ".cache", "collections"),
        ANSIBLE_FORCE_COLOR="false",
        ANSIBLE_NOCOLOR="true",
        ANSIBLE_STDOUT_CALLBACK="ansible.builtin.default",
    )
    return subprocess.run(
        [os.path.join(BIN, "ansible-playbook"), "-i", str(inventory), os.path.join(ROOT, playbook), *extra_args],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        check=False,
    )


def installed(host, package):
    result = docker("exec", host, "dpkg-query", "-W", "-f", "${Status}", package, check=False)
    return result.returncode == 0 and "install ok installed" in result.stdout
