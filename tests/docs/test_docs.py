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
import sys
import time

import pytest
import yaml
from playbook_runs import ansible_env

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.join(ROOT, ".venv", "bin")
# Pages whose yaml blocks must each be a file of this checkout, shown whole.
PAGES_OF_FILES = ["docs/tutorial.md", "docs/migrating-from-galaxyproject-slurm.md", "docs/with_galaxyproject_galaxy.md"]
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
    return ansible_env(PATH=BIN + os.pathsep + os.environ.get("PATH", ""))


def run(args, roles_path=None, **kwargs):
    environment = env() if roles_path is None else dict(env(), ANSIBLE_ROLES_PATH=str(roles_path))
    return subprocess.run(args, capture_output=True, text=True, check=False, cwd=ROOT, env=environment, **kwargs)


# Roles of other projects that pages show beside this collection's (docs/with_galaxyproject_galaxy.md): for the
# syntax checks, an empty stand-in of each, as ansible-lint's mock_roles (.ansible-lint) gives it.
OTHER_ROLES = ["galaxyproject.galaxy"]


def mock_roles(directory):
    for role in OTHER_ROLES:
        (directory / role / "tasks").mkdir(parents=True, exist_ok=True)
        (directory / role / "tasks" / "main.yml").write_text("---\n[]\n")
    return directory


def blocks(page):
    """(language, content, the paragraph before the block) of every fenced block of a page."""
    with open(os.path.join(ROOT, page)) as handle:
        text = handle.read()
    for match in FENCE.finditer(text):
        before = text[: match.start()].rstrip("\n").rsplit("\n\n", 1)[-1]
        yield match.group(1), match.group(2), before


def section_blocks(page, heading, language="bash"):
    """The fenced blocks of one language in the section of ``page`` whose heading starts with ``heading``."""
    with open(os.path.join(ROOT, page)) as handle:
        text = handle.read()
    start = text.index("\n## " + heading)
    end = text.find("\n## ", start + 1)
    section = text[start : end if end > 0 else len(text)]
    return [m.group(2) for m in FENCE.finditer(section) if m.group(1) == language]


def plain_env(home):
    """A user's shell: the venv's tools on PATH, a HOME of its own, and no ANSIBLE_* settings of the tests."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_")}
    environment.update(HOME=str(home), PATH=BIN + os.pathsep + os.environ.get("PATH", ""), ANSIBLE_NOCOLOR="true")
    return environment


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
    result = run(
        [os.path.join(BIN, "ansible-playbook"), "-i", "localhost,", str(main), "--syntax-check"],
        roles_path=mock_roles(tmp_path / "mock-roles"),
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_migration_guide_lists_exactly_the_variables_preflight_warns_about():
    sys.path.insert(0, os.path.join(ROOT, ".cache", "collections"))
    from ansible_collections.gxhpc.cluster.plugins.module_utils import slurm_plan  # noqa: PLC0415

    with open(os.path.join(ROOT, "docs", "migrating-from-galaxyproject-slurm.md")) as handle:
        text = handle.read()
    section = text[text.index("## Not supported") : text.index("## Switching a running cluster")]
    table = [line for line in section.splitlines() if line.startswith("| `")]
    listed = [name for line in table for name in re.findall(r"`([a-z_]+)`", line.split("|")[1])]
    assert sorted(listed) == sorted(slurm_plan.IGNORED_VARIABLES)


def test_every_play_a_page_shows_with_the_collections_roles_becomes_root():
    """The roles install packages and write under /etc: a copied play without become fails at its first task."""
    pages = sorted(glob.glob(os.path.join(ROOT, "docs", "**", "*.md"), recursive=True))
    pages.append(os.path.join(ROOT, "README.md"))
    seen = 0
    for page in pages:
        for language, content, _before in blocks(os.path.relpath(page, ROOT)):
            data = yaml.safe_load(content) if language in ("yaml", "yml") else None
            for play in data if isinstance(data, list) else []:
                roles = play.get("roles") if isinstance(play, dict) and "hosts" in play else None
                names = [r.get("role", "") if isinstance(r, dict) else r for r in roles or []]
                if any(str(name).startswith("gxhpc.cluster.") for name in names):
                    seen += 1
                    assert play.get("become") is True, f"{os.path.relpath(page, ROOT)}: a play without become: true"
    assert seen >= 3


def test_install_step_works_from_anywhere(tmp_path):
    """The tutorial's step 0, verbatim, in a copy of the checkout: the collection lands where Ansible finds it
    from any directory, and the copied inventory runs the collection's playbooks by name from there."""
    checkout = tmp_path / "checkout"
    files = run(["git", "ls-files", "-co", "--exclude-standard"]).stdout.split()
    for name in files:
        if os.path.isfile(os.path.join(ROOT, name)):
            os.makedirs(checkout / os.path.dirname(name), exist_ok=True)
            shutil.copy2(os.path.join(ROOT, name), checkout / name)
    home = tmp_path / "home"
    home.mkdir()
    steps = section_blocks("docs/tutorial.md", "0. ")
    assert len(steps) == 2 and "collection install -p ~/.ansible/collections" in steps[0], steps
    script = (
        "set -euo pipefail\n" + "".join(steps) + "ansible-playbook -i hosts.yml gxhpc.cluster.slurm --syntax-check\n"
    )
    result = subprocess.run(
        ["bash", "-c", script], cwd=checkout, env=plain_env(home), capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    installed = home / ".ansible" / "collections" / "ansible_collections" / "gxhpc" / "cluster" / "MANIFEST.json"
    assert installed.is_file()
    assert str(home / ".ansible" / "collections") in result.stdout, result.stdout
    assert not (checkout / ".cache").exists(), "the install landed in the checkout"


@pytest.mark.parametrize("inventory", INVENTORIES)
def test_vault_where_the_tutorial_says_keeps_every_other_variable(inventory, tmp_path):
    """The vault goes into group_vars/galaxyservers/vault.yml, as the tutorial says; no variable of the
    inventory may vanish when that file appears (a directory beside a file of the same group would hide it)."""
    copy = tmp_path / "inventory"
    shutil.copytree(os.path.join(ROOT, inventory), copy)
    assert not (copy / "group_vars" / "galaxyservers.yml").exists()
    vault = copy / "group_vars" / "galaxyservers" / "vault.yml"
    vault.write_text("vault_slurm_dbd_storage_pass: s3cret-from-the-vault\n")
    password = tmp_path / "vault-password"
    password.write_text("correct horse\n")
    home = tmp_path / "home"
    home.mkdir()
    environment = dict(plain_env(home), ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, ".cache", "collections"))
    encrypted = subprocess.run(
        [os.path.join(BIN, "ansible-vault"), "encrypt", "--vault-password-file", str(password), str(vault)],
        env=environment, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert encrypted.returncode == 0 and vault.read_text().startswith("$ANSIBLE_VAULT"), encrypted.stderr
    if inventory.endswith("single-node"):
        # Step 6's change to slurm.yml.
        slurm = copy / "group_vars" / "galaxyservers" / "slurm.yml"
        slurm.write_text(
            slurm.read_text().replace(
                "slurm_roles: ['controller', 'exec']",
                "slurm_roles: ['controller', 'exec', 'dbd']\n"
                'slurm_dbd_storage_pass: "{{ vault_slurm_dbd_storage_pass }}"',
            )
        )
    show = tmp_path / "show.yml"
    show.write_text(
        yaml.safe_dump(
            [
                {
                    "name": "Show what the inventory gives the Galaxy server",
                    "hosts": "galaxyservers",
                    "gather_facts": False,
                    "tasks": [
                        {
                            "name": "Show",
                            "ansible.builtin.debug": {
                                "msg": "{{ slurm_dbd_storage_pass }} {{ galaxy_jobs_conf.execution.default }}"
                            },
                        }
                    ],
                }
            ]
        )
    )
    result = subprocess.run(
        [
            os.path.join(BIN, "ansible-playbook"), "-i", str(copy / "hosts.yml"), str(show),
            "--vault-password-file", str(password),
        ],
        env=environment, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "s3cret-from-the-vault slurm" in result.stdout, result.stdout


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
    """The tutorial's steps 1 and 2 as the page shows them, on a fresh Debian 12 container sized as this machine
    (2 cores): the single-node inventory unchanged, plus the page's container host_vars
    (docs/examples/container-host_vars.yml, with ansible_host naming the container); the page's command
    `ansible-playbook -i hosts.yml gxhpc.cluster.slurm` from the inventory's directory; then its srun and
    sbatch tests. Then gxhpc.cluster.site over the same host with gxhpc_galaxy_jobs=false: the container has no
    Galaxy, so site.yml must leave Galaxy's parts alone, and Slurm's part changes nothing the second time."""
    inventory = tmp_path / "single-node"
    shutil.copytree(os.path.join(ROOT, "docs", "inventories", "single-node"), inventory)
    (inventory / "host_vars").mkdir()
    with open(os.path.join(ROOT, "docs", "examples", "container-host_vars.yml")) as handle:
        host_vars = handle.read()
    (inventory / "host_vars" / "galaxy.example.org.yml").write_text(host_vars + f"ansible_host: {container}\n")
    (command,) = [b for b in section_blocks("docs/tutorial.md", "1. ") if "gxhpc.cluster.slurm" in b]
    assert command == "ansible-playbook -i hosts.yml gxhpc.cluster.slurm\n"
    started = time.monotonic()
    result = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", command],
        cwd=inventory,
        env=env(),
        capture_output=True,
        text=True,
        check=False,
    )
    output = result.stdout + result.stderr
    print("gxhpc.cluster.slurm on the single-node example: %.0f s" % (time.monotonic() - started))
    assert result.returncode == 0, output

    # What the page says a 2-core machine shows: every CPU but the one kept back for Galaxy.
    cpus = int(docker("exec", container, "nproc").stdout)
    sinfo = docker("exec", container, "sinfo", "--noheader", "--format=%N %P %t %c").stdout.split()
    assert sinfo == [container, "main*", "idle", str(cpus - 1)], sinfo

    # Step 2: srun, then the batch script copied to the home directory, with the page's commands.
    (srun,) = [b for b in section_blocks("docs/tutorial.md", "2. ") if b.startswith("srun")]
    job = docker("exec", "-w", "/root", container, "bash", "-c", srun, check=False)
    assert job.returncode == 0 and "Linux %s" % container in job.stdout, job.stdout + job.stderr
    docker("cp", os.path.join(ROOT, "docs", "examples", "sbatch-test.sh"), "%s:/root/sbatch-test.sh" % container)
    (batch,) = [b for b in section_blocks("docs/tutorial.md", "2. ") if "sbatch ~/sbatch-test.sh" in b]
    lines = batch.splitlines()
    submit = "\n".join(line for line in lines if not line.startswith("cat "))
    submitted = docker("exec", "-w", "/root", container, "bash", "-euc", submit, check=False)
    assert submitted.returncode == 0, submitted.stdout + submitted.stderr
    job_id = re.search(r"Submitted batch job (\d+)", submitted.stdout).group(1)
    assert re.search(r"^\s*%s\s+main\s+sbatch-t\S*\s+root\s+(R|PD|CG)\b" % job_id, submitted.stdout, re.M), (
        submitted.stdout
    )
    (cat,) = [line for line in lines if line.startswith("cat ")]
    deadline = time.monotonic() + 90
    out = ""
    while time.monotonic() < deadline:
        state = docker("exec", container, "squeue", "--noheader", "--jobs", job_id, check=False).stdout
        if not state.strip():
            out = docker("exec", "-w", "/root", container, "bash", "-c", cat.split("#")[0], check=False).stdout
            break
        time.sleep(3)
    assert "Linux %s" % container in out and "load average" in out, out

    # Step 7 without Galaxy: site.yml configures Slurm (nothing left to change) and skips Galaxy's parts.
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
    assert result.returncode == 0, output
    assert re.search(r"ok=\d+\s+changed=0\s+unreachable=0\s+failed=0", output), output
    # Galaxy's parts matched no host, each in one line.
    assert output.count("skipping: no hosts matched") == 4, output
    summary = output[output.index("TASK [Show what the stack is]") :]
    print(summary.split("PLAY RECAP")[0])
    assert "Slurm nodes (sinfo on this controller):" in summary
    assert re.search(r"  %s main\* idle" % re.escape(container), summary), summary
    assert "DRMAA library" not in summary and "job conf" not in summary
