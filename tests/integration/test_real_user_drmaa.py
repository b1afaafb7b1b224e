"""Debian 13 has no python3-drmaa: galaxy_real_user installs drmaa from pip into a root-owned venv.

One fresh Debian 13 container, the whole role with the defaults (bar galaxy.yml, which this host has
none of): --check first (no failure, nothing installed), then the converge, then a second converge
that changes nothing. The scripts' interpreter, run as a person's account with the settings the role
wrote, then finds drmaa in the root-owned virtualenv (and only through the configured path: the
system Python has none), and the collection's own import_drmaa() gets as far as drmaa loading the
configured libdrmaa (this host has no slurm-drmaa; the drmaa scenario loads a real one).
"""

import json

import pytest
from conftest import docker, recap_changed, run_playbook

VENV = "/usr/local/libexec/gxhpc/drmaa-venv"
PLAY = """\
- name: Real-user scripts on a host without python3-drmaa
  hosts: all
  pre_tasks:
    # A server has package lists; this image ships none (check mode does not fetch them).
    - name: Fetch the package lists
      ansible.builtin.apt:
        update_cache: true
        cache_valid_time: 3600
      check_mode: false
      changed_when: false
    # Galaxy's tree as a Galaxy server has it (root-owned). Left to the role, the file module would
    # create /srv/galaxy with new_file_path's mode 1777, which the next preflight rightly refuses.
    - name: Galaxy's root-owned data tree
      ansible.builtin.file:
        path: /srv/galaxy
        state: directory
        mode: "0755"
      check_mode: false
    # The host's accounts, there before the role runs (also in the --check run).
    - name: Galaxy's account and a person's
      ansible.builtin.user:
        name: "{{ item.name }}"
        system: "{{ item.system }}"
      check_mode: false
      loop:
        - {name: galaxy, system: true}
        - {name: alice, system: false}
  roles:
    - role: gxhpc.cluster.galaxy_real_user
      vars:
        galaxy_real_user_manage_galaxy_config: false
"""

# Run as alice by the scripts' interpreter, isolated (-I) as the scripts are: where drmaa is found
# without and with the settings' path, and what the collection's import_drmaa() says.
PROBE = """
import importlib.util, json, sys
sys.path.insert(0, "/usr/local/libexec/gxhpc")
import gxhpc_real_user as lib
config = lib.load_config()
before = importlib.util.find_spec("drmaa")
try:
    lib.import_drmaa(config)
    error = None
except lib.Failed as exc:
    error = str(exc)
spec = importlib.util.find_spec("drmaa")
print(json.dumps({"before": before and before.origin, "origin": spec and spec.origin, "error": error,
                  "python_path": config.drmaa_python_path}))
"""


@pytest.mark.parametrize("container", ["13"], indirect=True)
def test_debian_13_gets_drmaa_in_a_root_owned_venv(container, tmp_path):
    playbook = tmp_path / "real_user.yml"
    playbook.write_text(PLAY)

    check = run_playbook(tmp_path, container, str(playbook), {}, ["--check"])
    assert check.returncode == 0, check.stdout + check.stderr
    assert docker("exec", container, "test", "-e", VENV, check=False).returncode != 0, "check mode made the venv"

    first = run_playbook(tmp_path, container, str(playbook), {})
    assert first.returncode == 0, first.stdout + first.stderr
    second = run_playbook(tmp_path, container, str(playbook), {})
    assert second.returncode == 0, second.stdout + second.stderr
    assert recap_changed(second.stdout) == [0], second.stdout

    settings = json.loads(docker("exec", container, "cat", "/etc/gxhpc/real_user.json").stdout)
    (site_packages,) = settings["drmaa_python_path"]
    assert site_packages.startswith(f"{VENV}/lib/python3.")
    # Root's, and nobody else can write any of it.
    loose = docker(
        "exec", container, "find", VENV, "(", "!", "-user", "root", "-o", "-perm", "/022", ")", "!", "-type", "l"
    )
    assert loose.stdout == "", loose.stdout

    probe = docker("exec", "-u", "alice", "-w", "/", container, "/usr/bin/python3", "-I", "-c", PROBE)
    found = json.loads(probe.stdout)
    assert found["before"] is None, found  # the system Python has no drmaa on Debian 13
    assert found["python_path"] == [site_packages]
    assert found["origin"] == f"{site_packages}/drmaa/__init__.py", found
    # drmaa itself ran and tried the configured libdrmaa, which this host does not have.
    assert "cannot load DRMAA" in found["error"] and "/usr/local/lib/libdrmaa.so.1" in found["error"], found
