"""What docs/ shows must run: every file the tutorial and the migration guide show is a real file (the page
holds its exact content), every inventory loads, every playbook, and every playbook or task list in a page,
passes --syntax-check, the variables files name only variables that exist, the job confs pass
gxhpc.cluster.galaxy_job_conf, and the single-node example builds a working cluster in a container."""

import glob
import json
import os
import re
import shutil
import subprocess
import time

import pytest
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.join(ROOT, ".venv", "bin")
# Pages whose yaml blocks must each be a file of this checkout, shown whole.
PAGES_OF_FILES = ["docs/tutorial.md", "docs/migrating-from-galaxyproject-slurm.md"]
INVENTORIES = ["docs/inventories/single-node", "docs/inventories/head-and-nodes"]
EXAMPLE_PLAYBOOKS = ["docs/examples/playbook.yml"]
COLLECTION_PLAYBOOKS = sorted(glob.glob(os.path.join(ROOT, "playbooks", "*.yml")))
# Variables the collection's playbooks read (playbooks/site.yml's header explains them).
PLAYBOOK_VARIABLES = {
    "gxhpc_slurm_drmaa",
    "gxhpc_galaxy_jobs",
    "gxhpc_galaxy_real_user",
    "gxhpc_check_cluster",
}
FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.M | re.S)
PATH_IN_TEXT = re.compile(r"`((?:docs|playbooks)/[\w./-]+\.\w+)`")


def env():
    return dict(
        os.environ,
        ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, ".cache", "collections"),
        ANSIBLE_NOCOLOR="true",
        ANSIBLE_FORCE_COLOR="false",
        ANSIBLE_STDOUT_CALLBACK="ansible.builtin.default",
    )


def run(args, **kwargs):
    return subprocess.run(args, capture_output=True, text=True, check=False, cwd=ROOT, env=env(), **kwargs)


def blocks(page):
    """(language, content, the paragraph before the block) of every fenced block of a page."""
    with open(os.path.join(ROOT, page)) as handle:
        text = handle.read()
    for match in FENCE.finditer(text):
        before = text[: match.start()].rstrip("\n").rsplit("\n\n", 1)[-1]
        yield match.group(1), match.group(2), before


def role_variables():
    names = set()
    for path in glob.glob(os.path.join(ROOT, "roles", "*", "meta", "argument_specs.yml")):
        with open(path) as handle:
            for spec in yaml.safe_load(handle)["argument_specs"].values():
                names.update((spec or {}).get("options") or {})
    return names


def variables_files():
    for inventory in INVENTORIES:
        for path in sorted(glob.glob(os.path.join(ROOT, inventory, "group_vars", "**", "*.yml"), recursive=True)):
            yield os.path.relpath(path, ROOT)


@pytest.mark.parametrize("page", PAGES_OF_FILES)
def test_every_file_a_page_shows_is_a_real_file_shown_whole(page):
    shown = 0
    for language, content, before in blocks(page):
        paths = PATH_IN_TEXT.findall(before)
        if language in ("yaml", "yml"):
            assert paths, "%s: a yaml block that names no file of docs/ before it:\n%s" % (page, content[:200])
        if not paths or language not in ("yaml", "yml", "bash", "sh"):
            continue
        path = paths[-1]
        assert os.path.isfile(os.path.join(ROOT, path)), "%s shows %s, which does not exist" % (page, path)
        with open(os.path.join(ROOT, path)) as handle:
            assert content == handle.read().rstrip("\n") + "\n", "%s shows %s, but not as it is" % (page, path)
        shown += 1
    assert shown > 0


@pytest.mark.parametrize("inventory", INVENTORIES)
def test_example_inventory_loads_with_its_group_vars(inventory):
    result = run([os.path.join(BIN, "ansible-inventory"), "-i", inventory, "--list"])
    assert result.returncode == 0 and "WARNING" not in result.stderr, result.stderr
    data = json.loads(result.stdout)
    galaxy_hosts = data["galaxyservers"]["hosts"]
    assert len(galaxy_hosts) == 1
    hostvars = data["_meta"]["hostvars"]
    assert "galaxy_jobs_conf" in hostvars[galaxy_hosts[0]]
    if inventory.endswith("head-and-nodes"):
        assert data["slurmexechosts"]["hosts"] == ["node0%d.example.org" % n for n in range(1, 5)]
        assert hostvars["node01.example.org"]["slurm_controller_host"] == "head.example.org"
    else:
        assert hostvars[galaxy_hosts[0]]["slurm_roles"] == ["controller", "exec"]


@pytest.mark.parametrize("inventory", INVENTORIES)
def test_every_playbook_passes_syntax_check_against_example_inventory(inventory, tmp_path):
    # One ansible-playbook run for all of them; an error names the playbook it comes from.
    playbooks = COLLECTION_PLAYBOOKS + [os.path.join(ROOT, p) for p in EXAMPLE_PLAYBOOKS]
    main = tmp_path / "all.yml"
    main.write_text(yaml.safe_dump([{"name": p, "ansible.builtin.import_playbook": p} for p in playbooks]))
    result = run([os.path.join(BIN, "ansible-playbook"), "-i", inventory, str(main), "--syntax-check"])
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("path", list(variables_files()))
def test_variables_files_name_only_variables_that_exist(path):
    """A misspelt variable is silently ignored by Ansible; here it fails."""
    with open(os.path.join(ROOT, path)) as handle:
        names = set(yaml.safe_load(handle) or {})
    unknown = {n for n in names - role_variables() - PLAYBOOK_VARIABLES if not n.startswith("vault_")}
    assert unknown == set(), "%s sets variables no role or playbook reads: %s" % (path, sorted(unknown))


def test_example_job_confs_pass_galaxy_job_conf(tmp_path):
    """The job confs of the example inventories, checked as gxhpc.cluster.galaxy_jobs checks them, with
    gravity's handlers as galaxyproject.galaxy (and the GTN tutorial) configure them."""
    plays = []
    for path in variables_files():
        with open(os.path.join(ROOT, path)) as handle:
            data = yaml.safe_load(handle) or {}
        if "galaxy_jobs_conf" in data:
            plays.append(
                {
                    "name": "Check the job conf of %s" % path,
                    "hosts": "localhost",
                    "connection": "local",
                    "gather_facts": False,
                    # The tests' own Python, not whatever interpreter discovery finds first.
                    "vars": {"ansible_python_interpreter": os.path.join(BIN, "python")},
                    "vars_files": [os.path.join(ROOT, path)],
                    "tasks": [
                        {
                            "name": "Validate",
                            "gxhpc.cluster.galaxy_job_conf": {
                                "config": "{{ galaxy_jobs_conf }}",
                                "dest": str(tmp_path / "job_conf.yml"),
                                "validate_only": True,
                                "database_connection": "postgresql:///galaxy?host=/var/run/postgresql",
                                "gravity_handlers": {
                                    "handler": {"processes": 2, "pools": ["job-handlers", "workflow-schedulers"]}
                                },
                            },
                        }
                    ],
                }
            )
    assert len(plays) == 2
    playbook = tmp_path / "validate.yml"
    playbook.write_text(yaml.safe_dump(plays))
    result = run([os.path.join(BIN, "ansible-playbook"), "-i", "localhost,", str(playbook)])
    assert result.returncode == 0, result.stdout + result.stderr


def test_playbooks_and_task_lists_in_every_page_pass_syntax_check(tmp_path):
    """Pages written by hand (and module EXAMPLES) show playbooks and task lists inline; each must load."""
    plays = []
    pages = sorted(glob.glob(os.path.join(ROOT, "docs", "**", "*.md"), recursive=True)) + [
        os.path.join(ROOT, "README.md")
    ]
    for page in pages:
        page = os.path.relpath(page, ROOT)
        for number, (language, content, _before) in enumerate(blocks(page)):
            if language not in ("yaml", "yml"):
                continue
            data = yaml.safe_load(content)
            if not (isinstance(data, list) and data and all(isinstance(item, dict) for item in data)):
                continue
            if any(
                "hosts" in item or "import_playbook" in item or "ansible.builtin.import_playbook" in item
                for item in data
            ):
                if any("import_playbook" in str(key) for item in data for key in item):
                    continue  # relative to its own directory; the files themselves are checked above
                name = "%s-%d.yml" % (page.replace("/", "_"), number)
                (tmp_path / name).write_text(content)
            elif all("name" in item for item in data) and any("." in key for item in data for key in item):
                name = "%s-%d.yml" % (page.replace("/", "_"), number)
                play = [{"name": "Tasks from %s" % page, "hosts": "localhost", "gather_facts": False, "tasks": data}]
                (tmp_path / name).write_text(yaml.safe_dump(play))
            else:
                continue  # a list of values, e.g. a default
            plays.append(
                {"name": "%s block %d" % (page, number), "ansible.builtin.import_playbook": str(tmp_path / name)}
            )
    assert len(plays) >= 8
    main = tmp_path / "all.yml"
    main.write_text(yaml.safe_dump(plays))
    result = run([os.path.join(BIN, "ansible-playbook"), "-i", "localhost,", str(main), "--syntax-check"])
    assert result.returncode == 0, result.stdout + result.stderr


def docker(*args, check=True):
    return subprocess.run(["docker", *args], check=check, capture_output=True, text=True)


def _docker_ready():
    try:
        return (
            subprocess.run(
                ["docker", "image", "inspect", "gxhpc/debian:12"], capture_output=True, check=False
            ).returncode
            == 0
        )
    except FileNotFoundError:
        return False


@pytest.mark.skipif(not _docker_ready(), reason="docker or the gxhpc/debian:12 image is missing (make images)")
def test_single_node_example_builds_a_cluster_that_runs_the_tutorials_jobs(container, tmp_path):
    """One run of playbooks/site.yml with the single-node inventory, as the tutorial has it, on a fresh
    Debian 12 container; then the tutorial's srun and sbatch tests. What differs, and why:
      - the host is the container, reached through docker;
      - slurm_config adds what only a container needs (no cgroup delegation there);
      - gxhpc_galaxy_jobs=false: the container has no Galaxy, so site.yml must leave Galaxy's parts
        (slurm-drmaa, the job conf, the readiness check) alone, which is what this also shows."""
    inventory = tmp_path / "single-node"
    shutil.copytree(os.path.join(ROOT, "docs", "inventories", "single-node"), inventory)
    with open(inventory / "group_vars" / "galaxyservers" / "slurm.yml") as handle:
        slurm_vars = yaml.safe_load(handle)
    (inventory / "host_vars").mkdir()
    (inventory / "host_vars" / "galaxy.example.org.yml").write_text(
        yaml.safe_dump(
            {
                "ansible_connection": "community.docker.docker",
                "ansible_host": container,
                "slurm_config": dict(
                    slurm_vars["slurm_config"], ProctrackType="proctrack/linuxproc", TaskPlugin="task/none"
                ),
                # The container shares the machine's 2 cores with the tests: keep none back.
                "slurm_galaxy_reserved_cores": 0,
                "slurm_galaxy_reserved_memory_mb": 512,
            }
        )
    )
    started = time.monotonic()
    result = run(
        [
            os.path.join(BIN, "ansible-playbook"),
            "-i",
            str(inventory),
            "playbooks/site.yml",
            "-e",
            "gxhpc_galaxy_jobs=false",
        ]
    )
    output = result.stdout + result.stderr
    print("site.yml on the single-node example: %.0f s" % (time.monotonic() - started))
    assert result.returncode == 0, output
    assert "failed=0" in output
    # Galaxy's parts matched no host, each in one line.
    assert output.count("skipping: no hosts matched") == 4, output
    # The summary: this controller's node, idle.
    summary = output[output.index("TASK [Show what the stack is]") :]
    print(summary.split("PLAY RECAP")[0])
    assert "Slurm nodes (sinfo on this controller):" in summary
    assert re.search(r"  %s main\* idle" % re.escape(container), summary), summary
    assert "DRMAA library" not in summary and "job conf" not in summary

    # The tutorial's tests: srun, then its batch script, run through to its output.
    job = docker("exec", container, "srun", "uname", "-a", check=False)
    assert job.returncode == 0 and "Linux %s" % container in job.stdout, job.stdout + job.stderr
    docker("cp", os.path.join(ROOT, "docs", "examples", "sbatch-test.sh"), "%s:/root/sbatch-test.sh" % container)
    submitted = docker("exec", "-w", "/root", container, "sbatch", "/root/sbatch-test.sh", check=False)
    assert submitted.returncode == 0, submitted.stderr
    job_id = submitted.stdout.split()[-1]
    queue = docker("exec", container, "squeue", "--noheader", "--jobs", job_id, "--format=%T", check=False)
    assert queue.stdout.strip() in ("PENDING", "RUNNING", "COMPLETING"), queue.stdout + queue.stderr
    deadline = time.monotonic() + 90
    out = ""
    while time.monotonic() < deadline:
        out = docker("exec", container, "cat", "/root/slurm-%s.out" % job_id, check=False).stdout
        state = docker("exec", container, "squeue", "--noheader", "--jobs", job_id, check=False).stdout
        if "load average" in out and not state.strip():
            break
        time.sleep(3)
    assert "Linux %s" % container in out and "load average" in out, out
