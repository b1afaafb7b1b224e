"""No role reads another role's ``__`` names, and nothing outside a role reads them (static).

A ``__<role>_`` name is that role's private working state: it may be renamed, split or dropped with
any change to the role. What another role, a plugin or a playbook needs is published as a documented,
role-prefixed fact (``slurm_drmaa_library_path``, ``slurm_host_roles``, ``munge_packages_changed``, ...).
"""

import os
import re

import pytest

ROOT = os.path.normpath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
ROLES = os.path.join(ROOT, "roles")
ROLE_NAMES = sorted(r for r in os.listdir(ROLES) if os.path.isdir(os.path.join(ROLES, r)))
# Longest first, so that __slurm_drmaa_x is slurm_drmaa's and not slurm's.
BY_LENGTH = sorted(ROLE_NAMES, key=len, reverse=True)
EXTENSIONS = (".yml", ".yaml", ".j2", ".py")
# Outside roles/: the collection's plugins and playbooks, the scenarios and tests that run them, and the
# examples users copy from docs/.
OUTSIDE = ("plugins", "playbooks", "molecule", "tests/integration", "docs")
# Not preceded by a name character, so that the middle of an identifier (x__slurm_y) does not count.
PRIVATE_NAME = re.compile(r"(?<![A-Za-z0-9_])__([a-z][a-z0-9_]*)")


def owner(name):
    """The role whose private name ``__<name>`` is, or None when it is no role's."""
    for role in BY_LENGTH:
        if name.startswith(role + "_"):
            return role
    return None


def files_under(*parts):
    top = os.path.join(ROOT, *parts)
    for directory, _subdirectories, names in os.walk(top):
        for name in sorted(names):
            if name.endswith(EXTENSIONS):
                yield os.path.join(directory, name)


def private_names(path):
    """``(line number, name, owning role)`` of every role's ``__`` name in a file."""
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            for match in PRIVATE_NAME.finditer(line):
                role = owner(match.group(1))
                if role is not None:
                    yield number, "__" + match.group(1), role


def offences(paths, allowed_role):
    return [
        f"{os.path.relpath(path, ROOT)}:{number}: {name} is private to the {role} role"
        for path in paths
        for number, name, role in private_names(path)
        if role != allowed_role
    ]


def test_owner_takes_the_longest_role_name():
    assert owner("slurm_drmaa_method") == "slurm_drmaa"
    assert owner("slurm_controller") == "slurm"
    assert owner("galaxy_real_user_venv") == "galaxy_real_user"
    assert owner("gxhpc_summary") is None


def test_the_scan_finds_a_name_in_jinja_and_in_a_string():
    line = "{{ hostvars[h].__munge_key_source }} map('extract', hostvars, '__slurm_exec_info') x__slurm_y"
    names = [m.group(1) for m in PRIVATE_NAME.finditer(line)]
    assert names == ["munge_key_source", "slurm_exec_info"]


@pytest.mark.parametrize("role", ROLE_NAMES)
def test_a_role_reads_only_its_own_private_names(role):
    assert offences(files_under("roles", role), role) == []


@pytest.mark.parametrize("top", OUTSIDE)
def test_plugins_and_playbooks_read_no_private_names(top):
    assert offences(files_under(top), None) == []
