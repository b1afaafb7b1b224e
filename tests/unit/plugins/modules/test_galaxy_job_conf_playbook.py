"""Idempotence and check mode through ansible-playbook (connection local, temporary directories):
galaxy_job_conf (YAML and XML) and galaxy_config, as a role would call them."""

import hashlib
import os
import re
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))))
COLLECTIONS = os.path.join(ROOT, ".cache", "collections")
ANSIBLE_PLAYBOOK = os.path.join(os.path.dirname(sys.executable), "ansible-playbook")

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
    env = dict(
        os.environ,
        ANSIBLE_COLLECTIONS_PATH=COLLECTIONS,
        ANSIBLE_LOCALHOST_WARNING="false",
        ANSIBLE_INVENTORY_UNPARSED_WARNING="false",
        ANSIBLE_NOCOLOR="true",
        ANSIBLE_RETRY_FILES_ENABLED="false",
    )
    command = [
        ANSIBLE_PLAYBOOK,
        "-i",
        "localhost,",
        "-c",
        "local",
        "-e",
        "ansible_python_interpreter=%s" % sys.executable,
        str(path),
        *extra,
    ]
    result = subprocess.run(command, capture_output=True, text=True, env=env, cwd=ROOT, timeout=300, check=False)
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
    result, _ = ansible(playbook(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    written = digests(config_dir)

    result, recap = ansible(playbook(tmp_path, runner="slurm2"))
    assert result.returncode != 0
    assert recap["failed"] == 1
    assert "execution.environments.slurm.runner: 'slurm2' is not a defined runner" in result.stdout
    assert digests(config_dir) == written
