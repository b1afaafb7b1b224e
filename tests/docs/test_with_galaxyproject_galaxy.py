"""docs/with_galaxyproject_galaxy.md: its playbook and group_vars, run as they are shown, with a stand-in for
galaxyproject.galaxy that writes galaxy.yml from galaxy_config the way that role's template does (each section
through to_nice_yaml(indent=4), on every run) and restarts Galaxy when galaxy.yml changed.

The two roles must agree on galaxy.yml: the first run writes it once with the job side's settings merged in, and
a second run changes nothing and restarts nothing (before, each role undid the other on every run).
Connection local, in a temporary directory; no container. Paths and the account come from host_vars, as a site's
would.
"""

import grp
import os
import pwd
import re
import shutil
import subprocess
import sys

import pytest
import yaml
from playbook_runs import ansible_env

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EXAMPLE = os.path.join(ROOT, "docs", "examples", "with_galaxyproject_galaxy")
BIN = os.path.dirname(sys.executable)

# The stand-in's tasks: what galaxyproject.galaxy does with galaxy_config, and nothing else.
STANDIN_TASKS = """\
- name: Create Galaxy configuration file
  ansible.builtin.template:
    src: galaxy.yml.j2
    dest: "{{ galaxy_config_dir }}/galaxy.yml"
    mode: "0640"
  notify: restart galaxy
"""
STANDIN_HANDLERS = """\
- name: restart galaxy
  ansible.builtin.shell: echo restarted >> {{ galaxy_config_dir }}/restarts
"""
# Each section of galaxy_config through to_nice_yaml(indent=4), sorted, as galaxyproject.galaxy's galaxy.yml.j2.
STANDIN_TEMPLATE = """\
---
## This file is managed by Ansible.  ALL CHANGES WILL BE OVERWRITTEN.
{% for section, val in galaxy_config | dictsort %}
{{ {section: val} | to_nice_yaml(indent=4) }}
{% endfor %}
"""


@pytest.fixture
def site(tmp_path):
    roles = tmp_path / "roles" / "galaxyproject.galaxy"
    for sub, name, text in (
        ("tasks", "main.yml", STANDIN_TASKS),
        ("handlers", "main.yml", STANDIN_HANDLERS),
        ("templates", "galaxy.yml.j2", STANDIN_TEMPLATE),
    ):
        (roles / sub).mkdir(parents=True, exist_ok=True)
        (roles / sub / name).write_text(text)
    config = tmp_path / "srv" / "config"
    config.mkdir(parents=True)
    venv_bin = tmp_path / "srv" / "venv" / "bin"
    venv_bin.mkdir(parents=True)
    os.symlink(sys.executable, venv_bin / "python")
    galaxyctl = venv_bin / "galaxyctl"
    galaxyctl.write_text(f'#!/bin/sh\necho "$*" >> {config}/galaxyctl.calls\n')
    galaxyctl.chmod(0o755)
    (tmp_path / "libdrmaa.so.1").write_text("")
    inventory = tmp_path / "inventory"
    shutil.copytree(os.path.join(EXAMPLE, "group_vars"), inventory / "group_vars")
    (inventory / "hosts.yml").write_text(
        yaml.safe_dump({"galaxyservers": {"hosts": {"localhost": {"ansible_connection": "local"}}}})
    )
    (inventory / "host_vars").mkdir()
    (inventory / "host_vars" / "localhost.yml").write_text(
        yaml.safe_dump(
            {
                "ansible_python_interpreter": sys.executable,
                "galaxy_config_dir": str(config),
                "galaxy_jobs_config_dir": str(config),
                "galaxy_jobs_venv": str(tmp_path / "srv" / "venv"),
                "galaxy_jobs_user": pwd.getpwuid(os.getuid()).pw_name,
                "galaxy_jobs_group": grp.getgrgid(os.getgid()).gr_name,
                "galaxy_jobs_drmaa_library_path": str(tmp_path / "libdrmaa.so.1"),
                "galaxy_jobs_drmaa_install": "never",
            }
        )
    )
    return tmp_path, config, inventory


def run(tmp_path, inventory, *extra):
    env = ansible_env(ANSIBLE_ROLES_PATH=str(tmp_path / "roles"))
    command = [os.path.join(BIN, "ansible-playbook"), "-i", str(inventory), os.path.join(EXAMPLE, "playbook.yml")]
    result = subprocess.run(
        [*command, *extra], capture_output=True, text=True, env=env, cwd=ROOT, timeout=600, check=False
    )
    recap = re.search(r"localhost\s*:\s*ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", result.stdout)
    assert result.returncode == 0 and recap, result.stdout[-6000:] + result.stderr[-3000:]
    return int(recap.group(2))


def test_galaxy_yml_has_both_roles_settings_and_a_second_run_changes_nothing(site):
    tmp_path, config, inventory = site
    run(tmp_path, inventory)
    galaxy_yml = yaml.safe_load((config / "galaxy.yml").read_text())
    # The site's settings, kept.
    assert galaxy_yml["galaxy"]["database_connection"] == "postgresql:///galaxy?host=/var/run/postgresql"
    assert galaxy_yml["gravity"]["handlers"]["handler"]["pools"] == ["job-handlers", "workflow-schedulers"]
    # The job side's, merged in by galaxyproject.galaxy from the published fact.
    assert galaxy_yml["galaxy"]["job_config_file"] == f"{config}/job_conf.yml"
    assert galaxy_yml["gravity"]["virtualenv"] == str(tmp_path / "srv" / "venv")
    assert galaxy_yml["gravity"]["handlers"]["handler"]["environment"] == {
        "DRMAA_LIBRARY_PATH": str(tmp_path / "libdrmaa.so.1")
    }
    job_conf = yaml.safe_load((config / "job_conf.yml").read_text())
    assert job_conf["execution"]["default"] == "slurm"
    assert (config / "restarts").read_text() == "restarted\n"
    written = (config / "galaxy.yml").read_text()

    assert run(tmp_path, inventory) == 0
    assert (config / "galaxy.yml").read_text() == written
    assert (config / "restarts").read_text() == "restarted\n", "no restart when nothing changed"
