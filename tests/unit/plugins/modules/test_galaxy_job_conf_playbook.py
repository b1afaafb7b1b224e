"""Idempotence and check mode through ansible-playbook (connection local, temporary directories):
galaxy_job_conf (YAML and XML) and galaxy_config, as a role would call them."""

import hashlib
import os
import re

import pytest
import yaml
from playbook_runs import ANSIBLE_PLAYBOOK, SLURM_JOB_CONF, fake_galaxy, galaxy_jobs_playbook, run_local_playbook

PLAYBOOK = """\
- name: Galaxy job configuration
  hosts: localhost
  gather_facts: false
  vars:
    job_conf:
      runners:
        local:
          load: galaxy.jobs.runners.local:LocalJobRunner
          workers: 4
        slurm:
          load: galaxy.jobs.runners.slurm:SlurmJobRunner
      handling:
        assign: [db-skip-locked]
      execution:
        default: slurm
        environments:
          local:
            runner: local
          slurm:
            runner: {runner}
            native_specification: --ntasks=1 --time=01:00:00
            env:
              - name: LC_ALL
                value: C
      tools:
        - class: local
          environment: local
  tasks:
    - name: Write job_conf.yml
      gxhpc.cluster.galaxy_job_conf:
        dest: "{dir}/job_conf.yml"
        config: "{{{{ job_conf }}}}"
        gravity_handlers:
          handler:
            processes: 2
            pools: [job-handlers]
        mode: "0640"
    - name: Write job_conf.xml
      gxhpc.cluster.galaxy_job_conf:
        dest: "{dir}/job_conf.xml"
        config: "{{{{ job_conf }}}}"
        gravity_handlers:
          handler:
            processes: 2
        mode: "0640"
    - name: Point galaxy.yml at job_conf.yml
      gxhpc.cluster.galaxy_config:
        path: "{dir}/galaxy.yml"
        settings:
          galaxy:
            job_config_file: "{dir}/job_conf.yml"
          gravity:
            handlers:
              handler:
                processes: 2
                pools: [job-handlers]
        mode: "0640"
"""

pytestmark = pytest.mark.skipif(not os.path.exists(ANSIBLE_PLAYBOOK), reason="ansible-playbook is not in this venv")


def playbook(tmp_path, runner="slurm"):
    path = tmp_path / ("site-%s.yml" % runner)
    path.write_text(PLAYBOOK.format(dir=tmp_path / "config", runner=runner))
    return path


def ansible(path, *extra):
    result = run_local_playbook(path, *extra)
    recap = re.search(r"localhost\s*:\s*ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", result.stdout)
    return result, (dict(zip(("ok", "changed", "unreachable", "failed"), map(int, recap.groups()))) if recap else None)


def digests(directory):
    return {
        name: hashlib.sha256((directory / name).read_bytes()).hexdigest() + oct(os.stat(directory / name).st_mode)
        for name in sorted(os.listdir(directory))
    }


def test_check_mode_first_then_idempotent_then_check_mode_again(tmp_path):
    config_dir = tmp_path / "config"
    config_dir.mkdir()
    site = playbook(tmp_path)

    result, recap = ansible(site, "--check", "--diff")
    assert result.returncode == 0, result.stdout + result.stderr
    assert recap["changed"] == 3
    assert "+    load: galaxy.jobs.runners.slurm:SlurmJobRunner" in result.stdout, "check mode shows the diff"
    assert os.listdir(config_dir) == [], "check mode writes nothing"

    result, recap = ansible(site)
    assert result.returncode == 0, result.stdout + result.stderr
    assert recap["changed"] == 3
    written = digests(config_dir)
    assert sorted(written) == ["galaxy.yml", "job_conf.xml", "job_conf.yml"]

    result, recap = ansible(site)
    assert result.returncode == 0, result.stdout + result.stderr
    assert recap["changed"] == 0, "second run must change nothing"

    result, recap = ansible(site, "--check", "--diff")
    assert result.returncode == 0, result.stdout + result.stderr
    assert recap["changed"] == 0
    assert digests(config_dir) == written


def test_bad_config_fails_and_leaves_files_byte_identical(tmp_path):
    config_dir = tmp_path / "config"
    config_dir.mkdir()
    result, _output = ansible(playbook(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    written = digests(config_dir)

    result, recap = ansible(playbook(tmp_path, runner="slurm2"))
    assert result.returncode != 0
    assert recap["failed"] == 1
    assert "execution.environments.slurm.runner: 'slurm2' is not a defined runner" in result.stdout
    assert digests(config_dir) == written


GALAXY_YML = """\
gravity:
  process_manager: systemd
  handlers:
    handler:
      processes: 2
      pools: [job-handlers]
galaxy:
  database_connection: postgresql:///galaxy
  job_config:
    runners: {}
"""


def role_playbook(tmp_path):
    return galaxy_jobs_playbook(tmp_path, SLURM_JOB_CONF, galaxy_jobs_drmaa_library_path=f"{tmp_path}/libdrmaa.so.1")


def test_role_configures_gravity_and_restarts_only_on_change(tmp_path):
    """The galaxy_jobs role against a fake gravity-managed Galaxy (no packages: install tag skipped)."""
    fake_galaxy(tmp_path, GALAXY_YML)
    (tmp_path / "libdrmaa.so.1").write_text("")
    calls = tmp_path / "galaxyctl.calls"
    galaxyctl = tmp_path / "venv" / "bin" / "galaxyctl"
    galaxyctl.write_text('#!/bin/sh\necho "$*" >> %s\n' % calls)
    galaxyctl.chmod(0o755)
    site = role_playbook(tmp_path)

    result, recap = ansible(site, "--skip-tags", "install", "--check", "--diff")
    assert result.returncode == 0, result.stdout + result.stderr
    assert recap["changed"] == 2 and not calls.exists()
    assert (tmp_path / "config" / "galaxy.yml").read_text() == GALAXY_YML

    result, recap = ansible(site, "--skip-tags", "install")
    assert result.returncode == 0, result.stdout + result.stderr
    assert recap["changed"] == 3  # job conf, galaxy.yml, the restart handler
    assert calls.read_text() == "--config-file %s/config/galaxy.yml graceful\n" % tmp_path
    galaxy_yml = yaml.safe_load((tmp_path / "config" / "galaxy.yml").read_text())
    assert galaxy_yml["galaxy"]["job_config_file"] == "%s/config/job_conf.yml" % tmp_path
    assert "job_config" not in galaxy_yml["galaxy"], "an inline job_config would win over job_config_file"
    assert galaxy_yml["gravity"]["virtualenv"] == "%s/venv" % tmp_path
    handler = galaxy_yml["gravity"]["handlers"]["handler"]
    assert handler == {
        "processes": 2,
        "pools": ["job-handlers"],
        "environment": {"DRMAA_LIBRARY_PATH": "%s/libdrmaa.so.1" % tmp_path},
    }
    job_conf = yaml.safe_load((tmp_path / "config" / "job_conf.yml").read_text())
    assert job_conf["execution"]["default"] == "slurm"
    written = digests(tmp_path / "config")

    result, recap = ansible(site, "--skip-tags", "install")
    assert result.returncode == 0, result.stdout + result.stderr
    assert recap["changed"] == 0
    assert calls.read_text().count("graceful") == 1, "no restart when nothing changed"
    assert digests(tmp_path / "config") == written


def test_role_bad_conf_fails_in_preflight_before_any_change(tmp_path):
    fake_galaxy(tmp_path, GALAXY_YML.replace("      processes: 2\n", "      processes: 0\n"))
    site = role_playbook(tmp_path)
    before = digests(tmp_path / "config")
    result, recap = ansible(site, "--skip-tags", "install")
    assert result.returncode != 0
    assert "handling.assign: db-skip-locked needs job handler processes" in result.stdout
    assert recap["changed"] == 0
    assert digests(tmp_path / "config") == before
