"""The collection builds into a tarball that installs into an empty collections path and works from there:
every playbook resolves its roles and modules, and ansible-doc reads every module and role."""

import json
import os
import re
import subprocess
import tarfile

import pytest
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.join(ROOT, ".venv", "bin")
MODULES = sorted(name[:-3] for name in os.listdir(os.path.join(ROOT, "plugins", "modules")) if name.endswith(".py"))
ROLES = sorted(
    name
    for name in os.listdir(os.path.join(ROOT, "roles"))
    if os.path.isdir(os.path.join(ROOT, "roles", name, "tasks"))
)
PLAYBOOKS = sorted(name[:-4] for name in os.listdir(os.path.join(ROOT, "playbooks")) if name.endswith(".yml"))


def run(args, **kwargs):
    return subprocess.run(args, capture_output=True, text=True, check=False, **kwargs)


@pytest.fixture(scope="module")
def tarball(tmp_path_factory):
    out = tmp_path_factory.mktemp("build")
    result = run(
        [os.path.join(BIN, "ansible-galaxy"), "collection", "build", "--output-path", str(out), ROOT], cwd=ROOT
    )
    assert result.returncode == 0, result.stdout + result.stderr
    (path,) = out.glob("gxhpc-cluster-*.tar.gz")
    return path


@pytest.fixture(scope="module")
def installed(tarball, tmp_path_factory):
    """(collections path holding only the installed tarball, environment that sees only it, a neutral cwd)."""
    base = tmp_path_factory.mktemp("installed")
    collections = base / "collections"
    # No ansible.cfg of the checkout (its collections_path finds the checkout, not the tarball).
    (base / "ansible.cfg").write_text("[defaults]\n")
    env = dict(
        os.environ,
        ANSIBLE_COLLECTIONS_PATH=str(collections),
        # The ansible package's collections on sys.path stay visible: they stand in for the dependencies
        # (galaxy.yml) that ansible-galaxy would fetch from a Galaxy server, unreachable here. gxhpc.cluster
        # is not among them, so it comes from the tarball or not at all.
        ANSIBLE_CONFIG=str(base / "ansible.cfg"),
        ANSIBLE_NOCOLOR="true",
        ANSIBLE_LOCAL_TEMP=str(base / "tmp"),
    )
    result = run(
        [
            os.path.join(BIN, "ansible-galaxy"),
            "collection",
            "install",
            "--offline",
            "--no-deps",
            "-p",
            str(collections),
            str(tarball),
        ],
        cwd=str(base),
        env=env,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert (collections / "ansible_collections" / "gxhpc" / "cluster" / "MANIFEST.json").is_file()
    return collections, env, base


def test_tarball_holds_the_collection_and_no_development_files(tarball):
    with tarfile.open(tarball) as archive:
        names = archive.getnames()
    for wanted in ("MANIFEST.json", "meta/runtime.yml", "README.md", "playbooks/site.yml", "docs/tutorial.md"):
        assert wanted in names, wanted
    for role in ROLES:
        assert "roles/%s/meta/argument_specs.yml" % role in names, role
    for module in MODULES:
        assert "plugins/modules/%s.py" % module in names, module
    # .ansible holds ansible-lint's own install of this checkout: shipped, it would double the tarball.
    unwanted = sorted({n.split("/")[0] for n in names} & {".ansible", ".venv", ".cache", ".git", "molecule", "tools"})
    assert unwanted == [], "development files in the tarball; add them to galaxy.yml's build_ignore: %s" % unwanted
    assert not [n for n in names if n.endswith((".pyc", ".tar.gz"))]


@pytest.mark.parametrize("playbook", PLAYBOOKS)
def test_playbook_resolves_from_the_installed_collection(installed, playbook):
    collections, env, cwd = installed
    inventory = cwd / "inventory.yml"
    inventory.write_text("all:\n  hosts:\n    node1:\n  children:\n    galaxyservers:\n      hosts:\n        node1:\n")
    result = run(
        [os.path.join(BIN, "ansible-playbook"), "-i", str(inventory), "gxhpc.cluster.%s" % playbook, "--syntax-check"],
        cwd=str(cwd),
        env=env,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_module_documents_itself(installed):
    env, cwd = installed[1:]
    names = ["gxhpc.cluster.%s" % module for module in MODULES]
    result = run([os.path.join(BIN, "ansible-doc"), "--json", *names], cwd=str(cwd), env=env)
    assert result.returncode == 0 and "ERROR" not in result.stderr, result.stderr
    docs = json.loads(result.stdout)
    missing = [name for name in names if not (docs.get(name) or {}).get("doc")]
    assert missing == [], "ansible-doc found no documentation for %s:\n%s" % (missing, result.stderr)
    for name in names:
        assert docs[name]["examples"], "%s has no EXAMPLES" % name
        assert docs[name]["return"] is not None, "%s has no RETURN" % name


def test_every_role_documents_its_arguments(installed):
    env, cwd = installed[1:]
    names = ["gxhpc.cluster.%s" % role for role in ROLES]
    result = run([os.path.join(BIN, "ansible-doc"), "-t", "role", "--json", *names], cwd=str(cwd), env=env)
    assert result.returncode == 0 and "ERROR" not in result.stderr, result.stderr
    docs = json.loads(result.stdout)
    for name in names:
        assert docs[name]["entry_points"]["main"]["options"], name


def test_every_collection_the_content_uses_is_a_declared_dependency():
    """A module of another collection (community.mysql for slurmdbd's database) must be in galaxy.yml's
    dependencies, or `ansible-galaxy collection install` leaves it out and the playbooks fail to load."""
    used = set()
    for top in ("roles", "playbooks"):
        for directory, _subdirs, files in os.walk(os.path.join(ROOT, top)):
            for name in files:
                if name.endswith((".yml", ".yaml")):
                    with open(os.path.join(directory, name)) as handle:
                        text = handle.read()
                    used.update(
                        m.group(1) for m in re.finditer(r"^\s*-?\s*([a-z_]+\.[a-z_]+)\.[a-z_]+:(?:\s|$)", text, re.M)
                    )
    with open(os.path.join(ROOT, "galaxy.yml")) as handle:
        declared = set((yaml.safe_load(handle).get("dependencies") or {}).keys())
    undeclared = used - {"ansible.builtin", "ansible.legacy", "gxhpc.cluster"} - declared
    assert undeclared == set(), "collections used but not in galaxy.yml's dependencies: %s" % sorted(undeclared)
