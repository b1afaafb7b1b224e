"""Every role's phases run alone: ``--tags <phase>`` never reads a private name only another phase sets.

Static half (every role): tasks/main.yml imports each phase with the role's tag and the phase's, and each
``__<role>_`` name a phase reads unguarded (no ``is defined``, no ``default``) that the role registers or
set_facts is also set by a phase that runs under that tag (``always``, or the same tag). Handlers count for the
phases that notify them. Dynamic half (galaxy_jobs, which runs locally): the role converges on a fake Galaxy in
a temporary directory, then each of its tags alone runs green (issue 16: ``--tags configure`` failed on the
database connection only preflight resolved).
"""

import os
import re
import sys

import pytest
import yaml
from playbook_runs import fake_galaxy, galaxy_jobs_playbook, run_local_playbook

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
ROLES = sorted(r for r in os.listdir(os.path.join(ROOT, "roles")) if os.path.isdir(os.path.join(ROOT, "roles", r)))
INCLUDES = ("import_tasks", "include_tasks")
# A read that tolerates an undefined name: ``x is defined``, ``x.changed | default(false)``, ``x | default({})``.
GUARD = r"(\.[A-Za-z_][A-Za-z0-9_]*)*\s*(is\s+(not\s+)?defined|\|\s*default\b|\|\s*d\b)"


def load(path):
    with open(path, encoding="utf-8") as handle:
        return yaml.safe_load(handle) or []


def action_arg(task, names):
    for key, value in task.items():
        if key.split(".")[-1] in names:
            return value if isinstance(value, str) else (value or {}).get("file")
    return None


def tasks_of(role, filename, seen=None):
    """Every task of ``tasks/<filename>`` with the files it imports, as (file, task)."""
    seen = seen if seen is not None else set()
    if filename in seen:
        return []
    seen.add(filename)
    found = []
    stack = list(load(os.path.join(ROOT, "roles", role, "tasks", filename)))
    while stack:
        task = stack.pop(0)
        for block in ("block", "rescue", "always"):
            if isinstance(task.get(block), list):
                stack.extend(task[block])
        found.append((filename, task))
        included = action_arg(task, INCLUDES)
        if included and "{{" not in included:
            found.extend(tasks_of(role, included, seen))
    return found


def phases(role):
    """``[(file, tags)]`` for every phase tasks/main.yml imports."""
    result = []
    for task in load(os.path.join(ROOT, "roles", role, "tasks", "main.yml")):
        included = action_arg(task, INCLUDES)
        if included:
            result.append((included, set(task.get("tags") or [])))
    return result


def produced(task):
    names = set()
    if isinstance(task.get("register"), str):
        names.add(task["register"])
    for key, value in task.items():
        if key.split(".")[-1] == "set_fact" and isinstance(value, dict):
            names.update(value)
    return names


def private_reads(role, text):
    """Private names of ``role`` read in ``text`` without a guard."""
    names = set()
    for match in re.finditer(r"(?<![A-Za-z0-9_])(__%s_[A-Za-z0-9_]+)" % re.escape(role), text):
        if not re.match(GUARD, text[match.end() :]):
            names.add(match.group(1))
    return names


def text_of(value):
    """Every string in a task or a variable's value (keys too), one per line, as Ansible templates them."""
    if isinstance(value, dict):
        return "\n".join(text_of(k) + "\n" + text_of(v) for k, v in value.items())
    if isinstance(value, list):
        return "\n".join(text_of(v) for v in value)
    return str(value) if value is not None else ""


def role_vars(role):
    path = os.path.join(ROOT, "roles", role, "vars", "main.yml")
    return load(path) if os.path.exists(path) else {}


def closure(role, names, variables):
    """``names`` plus every private name the role's vars/main.yml definitions of them read."""
    result, todo = set(), list(names)
    while todo:
        name = todo.pop()
        if name in result:
            continue
        result.add(name)
        if name in variables:
            todo.extend(private_reads(role, text_of(variables[name])))
    return result


def missing_under_each_tag(role):
    """``{tag: [(file, name)]}``: names read under ``--tags tag`` that nothing running under it sets."""
    variables = role_vars(role)
    per_phase = []
    handlers_path = os.path.join(ROOT, "roles", role, "handlers", "main.yml")
    handlers = load(handlers_path) if os.path.exists(handlers_path) else []
    for filename, tags in phases(role):
        tasks = tasks_of(role, filename)
        made = set().union(*(produced(t) for _f, t in tasks)) if tasks else set()
        notified = set()
        for _f, task in tasks:
            notify = task.get("notify") or []
            notified.update([notify] if isinstance(notify, str) else notify)
        reads = set()
        for file, task in tasks:
            inner = {k: v for k, v in task.items() if k not in ("block", "rescue", "always")}
            reads.update((file, n) for n in private_reads(role, text_of(inner)))
        for handler in handlers:
            listen = handler.get("listen") or []
            if {handler.get("name"), *([listen] if isinstance(listen, str) else listen)} & notified:
                reads.update(("handlers/main.yml", n) for n in private_reads(role, text_of(handler)))
        per_phase.append((filename, tags, made, reads))
    everything = set().union(*(made for _f, _t, made, _r in per_phase))
    result = {}
    phase_tags = set().union(*(tags for _f, tags, _m, _r in per_phase)) - {"always", role}
    for tag in sorted(phase_tags):
        running = [p for p in per_phase if {"always", tag} & p[1]]
        made = set().union(*(m for _f, _t, m, _r in running))
        missing = set()
        for _file, _tags, _made, reads in running:
            for file, name in reads:
                for needed in closure(role, {name}, variables):
                    if needed in everything and needed not in made:
                        missing.add((file, needed))
        if missing:
            result[tag] = sorted(missing)
    return result


@pytest.mark.parametrize("role", ROLES)
def test_every_phase_is_tagged(role):
    untagged = []
    for filename, tags in phases(role):
        if "always" in tags:
            continue
        phase = os.path.splitext(filename)[0]
        if role not in tags or len(tags - {role}) == 0:
            untagged.append(f"{filename}: tags {sorted(tags)}, want [{role}, {phase}...]")
    assert untagged == []


@pytest.mark.parametrize("role", ROLES)
def test_each_tag_alone_has_what_it_reads(role):
    assert missing_under_each_tag(role) == {}


def test_the_static_check_sees_the_failure_issue_16_found(tmp_path, monkeypatch):
    """Preflight tagged [galaxy_jobs, preflight] (as before): --tags configure reads what only preflight sets."""
    roles = tmp_path / "roles"
    (roles / "r" / "tasks").mkdir(parents=True)
    (roles / "r" / "tasks" / "main.yml").write_text(
        "- {name: P, ansible.builtin.import_tasks: preflight.yml, tags: [r, preflight]}\n"
        "- {name: C, ansible.builtin.import_tasks: configure.yml, tags: [r, configure]}\n"
    )
    (roles / "r" / "tasks" / "preflight.yml").write_text("- ansible.builtin.set_fact: {__r_db: x}\n")
    (roles / "r" / "tasks" / "configure.yml").write_text(
        "- ansible.builtin.debug: {msg: '{{ __r_db }} {{ __r_opt | default(1) }}'}\n"
    )
    monkeypatch.setattr(sys.modules[__name__], "ROOT", str(tmp_path))
    assert missing_under_each_tag("r") == {"configure": [("configure.yml", "__r_db")]}
    (roles / "r" / "tasks" / "main.yml").write_text(
        "- {name: P, ansible.builtin.import_tasks: preflight.yml, tags: [always]}\n"
        "- {name: C, ansible.builtin.import_tasks: configure.yml, tags: [r, configure]}\n"
    )
    assert missing_under_each_tag("r") == {}


# -- galaxy_jobs for real ----------------------------------------------------------------------------------------

JOB_CONF = {
    "runners": {"local": {"load": "galaxy.jobs.runners.local:LocalJobRunner"}},
    "execution": {"default": "local", "environments": {"local": {"runner": "local"}}},
}


def test_galaxy_jobs_each_tag_alone_on_a_converged_host(tmp_path):
    fake_galaxy(tmp_path, {"galaxy": {"database_connection": "postgresql:///galaxy"}})
    site = galaxy_jobs_playbook(
        tmp_path,
        JOB_CONF,
        galaxy_jobs_tpv_install="never",
        galaxy_jobs_process_manager="none",
        galaxy_jobs_restart=False,
    )
    result = run_local_playbook(site, "--skip-tags", "install")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    tags = set().union(*(tags for _f, tags in phases("galaxy_jobs"))) - {"always", "galaxy_jobs", "install"}
    assert {"preflight", "configure", "service", "health"} <= tags
    for tag in sorted(tags):
        result = run_local_playbook(site, "--tags", tag)
        assert result.returncode == 0, f"--tags {tag}:\n" + result.stdout[-3000:] + result.stderr[-2000:]
        assert re.search(r"localhost\s*:\s*ok=\d+\s+changed=0\s", result.stdout), f"--tags {tag} changed something"
