"""Running this checkout's playbooks from the tests: the environment, a run on this machine (connection local),
and a fake Galaxy for the galaxy_jobs role in a temporary directory.

Importable from every test tree: tests/conftest.py puts this folder on sys.path.
"""

import grp
import os
import pwd
import subprocess
import sys

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
COLLECTIONS = os.path.join(ROOT, ".cache", "collections")
# The ansible-playbook of the venv the tests run in.
ANSIBLE_PLAYBOOK = os.path.join(os.path.dirname(sys.executable), "ansible-playbook")
# A Galaxy that sends its jobs to Slurm (and can run some locally), for the galaxy_jobs role's runs.
SLURM_JOB_CONF = {
    "runners": {
        "local": {"load": "galaxy.jobs.runners.local:LocalJobRunner"},
        "slurm": {"load": "galaxy.jobs.runners.slurm:SlurmJobRunner"},
    },
    "handling": {"assign": ["db-skip-locked"]},
    "execution": {
        "default": "slurm",
        "environments": {
            "local": {"runner": "local"},
            "slurm": {"runner": "slurm", "native_specification": "--ntasks=1"},
        },
    },
}


def ansible_env(**settings):
    """os.environ for an Ansible command of this checkout: gxhpc.cluster from the checkout's link, plain output
    with the default callback (the tests read its recap), no retry files. Warnings stay on (tests/docs asserts
    there are none). ``settings`` add to it or override it."""
    env = dict(
        os.environ,
        ANSIBLE_COLLECTIONS_PATH=COLLECTIONS,
        ANSIBLE_NOCOLOR="true",
        ANSIBLE_FORCE_COLOR="false",
        ANSIBLE_STDOUT_CALLBACK="ansible.builtin.default",
        ANSIBLE_RETRY_FILES_ENABLED="false",
    )
    env.update(settings)
    return env


def run_local_playbook(playbook, *args):
    """ansible-playbook ``playbook`` on this machine as localhost, with the tests' Python; the CompletedProcess.
    Without the warnings that a host list ("localhost,") and the implicit localhost always give."""
    command = [ANSIBLE_PLAYBOOK, "-i", "localhost,", "-c", "local", *args]
    command += ["-e", f"ansible_python_interpreter={sys.executable}", str(playbook)]
    env = ansible_env(ANSIBLE_LOCALHOST_WARNING="false", ANSIBLE_INVENTORY_UNPARSED_WARNING="false")
    return subprocess.run(command, capture_output=True, text=True, env=env, cwd=ROOT, timeout=300, check=False)


def fake_galaxy(tmp_path, galaxy_yml):
    """What the galaxy_jobs role needs of a Galaxy below ``tmp_path``: config/galaxy.yml (``galaxy_yml``, a mapping
    or the file's text), and a venv whose python is the tests' own."""
    (tmp_path / "config").mkdir()
    (tmp_path / "venv" / "bin").mkdir(parents=True)
    os.symlink(sys.executable, tmp_path / "venv" / "bin" / "python")
    text = galaxy_yml if isinstance(galaxy_yml, str) else yaml.safe_dump(galaxy_yml)
    (tmp_path / "config" / "galaxy.yml").write_text(text)


def galaxy_jobs_playbook(tmp_path, job_conf, **variables):
    """tmp_path/site.yml: the galaxy_jobs role on localhost for the fake Galaxy below ``tmp_path``, as this user,
    installing no DRMAA library; ``variables`` add role variables. Returns its path."""
    play = {
        "name": "Galaxy's job-runner side",
        "hosts": "localhost",
        "gather_facts": False,
        "vars": {
            "galaxy_jobs_config_dir": str(tmp_path / "config"),
            "galaxy_jobs_venv": str(tmp_path / "venv"),
            "galaxy_jobs_user": pwd.getpwuid(os.getuid()).pw_name,
            "galaxy_jobs_group": grp.getgrgid(os.getgid()).gr_name,
            "galaxy_jobs_drmaa_install": "never",
            "galaxy_jobs_conf": job_conf,
            **variables,
        },
        "roles": ["gxhpc.cluster.galaxy_jobs"],
    }
    site = tmp_path / "site.yml"
    site.write_text(yaml.safe_dump([play], sort_keys=False))
    return site
