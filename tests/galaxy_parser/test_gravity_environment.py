"""The galaxy_jobs role's DRMAA_LIBRARY_PATH and VIRTUAL_ENV reach the job handlers, as gravity sees them.

The role runs (ansible-playbook, connection local, install tag skipped) against a fake gravity-managed Galaxy in a
temporary directory; then gravity 1.2.4 itself (galaxyctl's config manager, in .cache/venv-galaxy-parser) reads
the resulting galaxy.yml and job conf and says which environment each service it would start gets.

    .venv/bin/pytest -q tests/galaxy_parser
"""

import json
import os
import pwd
import re
import subprocess

import yaml
from playbook_runs import SLURM_JOB_CONF, fake_galaxy, galaxy_jobs_playbook, run_local_playbook

HERE = os.path.dirname(os.path.abspath(__file__))


def apply_role(tmp_path, galaxy_yml, job_conf, method="auto"):
    fake_galaxy(tmp_path, galaxy_yml)
    (tmp_path / "server" / "lib" / "galaxy").mkdir(parents=True)
    (tmp_path / "libdrmaa.so.1").write_text("")
    site = galaxy_jobs_playbook(
        tmp_path,
        job_conf,
        galaxy_jobs_drmaa_library_path=str(tmp_path / "libdrmaa.so.1"),
        galaxy_jobs_drmaa_library_path_method=method,
        galaxy_jobs_restart=False,
    )
    result = run_local_playbook(site, "--skip-tags", "install")
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert re.search(r"localhost\s*:\s*ok=\d+\s+changed=[1-9]", result.stdout)


def gravity_services(python, tmp_path):
    command = [python, os.path.join(HERE, "gravity_env.py"), str(tmp_path / "config" / "galaxy.yml")]
    command.append(str(tmp_path / "gravity-state"))
    result = subprocess.run(command, capture_output=True, text=True, cwd=tmp_path, timeout=120, check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout)


def gravity_section(tmp_path, **extra):
    # gravity runs as root only as the systemd process manager, with galaxy_user set.
    section = {"process_manager": "systemd", "galaxy_user": pwd.getpwuid(os.getuid()).pw_name}
    section["galaxy_root"] = str(tmp_path / "server")
    section.update(extra)
    return section


def test_gravity_handlers_get_drmaa_library_path_and_virtual_env(galaxy_python, tmp_path):
    galaxy_yml = {
        "gravity": gravity_section(tmp_path, handlers={"handler": {"processes": 2, "pools": ["job-handlers"]}}),
        "galaxy": {"database_connection": "postgresql:///galaxy"},
    }
    apply_role(tmp_path, galaxy_yml, SLURM_JOB_CONF)
    services = gravity_services(galaxy_python, tmp_path)
    handlers = {name: s for name, s in services.items() if s["type"] == "standalone"}
    assert len(handlers) == 2, services
    for service in handlers.values():
        assert service["environment"]["DRMAA_LIBRARY_PATH"] == str(tmp_path / "libdrmaa.so.1")
        assert service["environment"]["VIRTUAL_ENV"] == str(tmp_path / "venv")
    assert "DRMAA_LIBRARY_PATH" not in services["gunicorn"]["environment"], "web workers run no jobs here"
    assert services["gunicorn"]["environment"]["VIRTUAL_ENV"] == str(tmp_path / "venv")


def test_without_gravity_handlers_the_web_workers_get_it(galaxy_python, tmp_path):
    conf = dict(SLURM_JOB_CONF, handling={"assign": ["db-self"]})
    galaxy_yml = {"gravity": gravity_section(tmp_path), "galaxy": {}}
    apply_role(tmp_path, galaxy_yml, conf)
    services = gravity_services(galaxy_python, tmp_path)
    assert services["gunicorn"]["environment"]["DRMAA_LIBRARY_PATH"] == str(tmp_path / "libdrmaa.so.1")
    assert services["gunicorn"]["environment"]["VIRTUAL_ENV"] == str(tmp_path / "venv")


def test_job_conf_handlers_use_the_runner_param(galaxy_python, tmp_path):
    """Handlers defined in the job conf are started by gravity from the job conf: auto picks the runner param."""
    conf = dict(
        SLURM_JOB_CONF, handling={"assign": ["db-skip-locked"], "processes": {"handler0": None, "handler1": None}}
    )
    galaxy_yml = {"gravity": gravity_section(tmp_path), "galaxy": {}}
    apply_role(tmp_path, galaxy_yml, conf)
    written = yaml.safe_load((tmp_path / "config" / "job_conf.yml").read_text())
    assert written["runners"]["slurm"]["drmaa_library_path"] == str(tmp_path / "libdrmaa.so.1")
    assert "drmaa_library_path" not in written["runners"]["local"]
    services = gravity_services(galaxy_python, tmp_path)
    assert {"handler0", "handler1"} <= set(services)
    for name in ("handler0", "handler1"):
        assert services[name]["environment"]["VIRTUAL_ENV"] == str(tmp_path / "venv")
