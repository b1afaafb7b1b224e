"""The galaxy_real_user templates, rendered with the role's defaults (and variations) outside Ansible.

Ansible's own filters are replaced by small stand-ins; what is checked is what the templates make of
the variables: the sudoers rules, the scripts' settings (read back by the scripts' own parser), the
tmpfiles rule and the umask drop-in.
"""

import json
import os
import shutil
import subprocess

import jinja2
import pytest
import yaml
from real_user_lib import ROLE, import_library

from ansible_collections.gxhpc.cluster.plugins.module_utils.galaxy_real_user_plan import drmaa_plan


def _load_yaml(*parts):
    with open(os.path.join(ROLE, *parts)) as handle:
        return yaml.safe_load(handle)


def _library():
    return import_library("gxhpc_real_user_t")


def _variables(**overrides):
    variables = dict(_load_yaml("defaults", "main.yml"))
    variables.update(_load_yaml("vars", "main.yml"))
    variables.update(_load_yaml("vars", "Debian.yml"))
    variables["galaxy_real_user_allowed_roots"] = [
        variables["galaxy_real_user_job_working_directory"],
        variables["galaxy_real_user_new_file_path"],
    ]
    variables["ansible_managed"] = "Ansible managed"
    # What the preflight host checks hand the settings template (gxhpc_real_user.preflight), through the plan.
    host = {
        "uid_min": 1000,
        "uid_max": 59999,
        "gid_min": 1000,
        "gid_max": 59999,
        "allowed_roots": [
            {"path": "/srv/galaxy/jobs", "real": "/srv/galaxy/jobs"},
            {"path": "/srv/galaxy/tmp", "real": "/data/galaxy/tmp"},
        ],
    }
    drmaa = overrides.pop("drmaa", None)
    variables.update(overrides)
    # What preflight's plan decided for drmaa (module_utils/galaxy_real_user_plan.py), on Debian 12 unless given.
    if drmaa is None:
        drmaa = drmaa_plan(
            variables,
            variables["__galaxy_real_user_python_drmaa_package"],
            variables["__galaxy_real_user_venv_packages"],
            "3.11",
        )
    variables["__galaxy_real_user_plan"] = {"host": host, "drmaa": drmaa}
    return variables


def render(name, **overrides):
    # Not HTML: Ansible renders these templates without autoescaping too.
    env = jinja2.Environment(  # noqa: S701
        loader=jinja2.FileSystemLoader(os.path.join(ROLE, "templates")),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
    )
    env.filters["comment"] = lambda text: "#\n# %s\n#" % text
    env.filters["dirname"] = os.path.dirname
    env.filters["to_nice_json"] = lambda data, indent=4: json.dumps(data, indent=indent, sort_keys=True)
    env.filters["bool"] = bool
    return env.get_template(name).render(**_variables(**overrides))


def _rules(text):
    return [line for line in text.splitlines() if line and not line.startswith("#")]


def test_sudoers_default_allows_exactly_the_three_scripts_without_setenv():
    rules = _rules(render("sudoers.j2"))
    assert rules == [
        "Defaults:galaxy !requiretty",
        "galaxy ALL = (root) NOPASSWD: /usr/local/libexec/gxhpc/gxhpc_drmaa_runner.py",
        "galaxy ALL = (root) NOPASSWD: /usr/local/libexec/gxhpc/gxhpc_drmaa_killer.py",
        "galaxy ALL = (root) NOPASSWD: /usr/local/libexec/gxhpc/gxhpc_chown.py",
    ]


def test_sudoers_with_setenv_and_galaxys_own_scripts():
    text = render(
        "sudoers.j2",
        galaxy_real_user_sudo_setenv=True,
        galaxy_real_user_scripts_source="galaxy",
        galaxy_real_user_galaxy_user="gxuser",
    )
    assert _rules(text) == [
        "Defaults:gxuser !requiretty",
        "gxuser ALL = (root) NOPASSWD: SETENV: /usr/local/libexec/gxhpc/drmaa_external_runner.py",
        "gxuser ALL = (root) NOPASSWD: SETENV: /usr/local/libexec/gxhpc/drmaa_external_killer.py",
        "gxuser ALL = (root) NOPASSWD: SETENV: /usr/local/libexec/gxhpc/external_chown_script.py",
    ]
    assert "LD_PRELOAD" in text  # the header says what SETENV gives away


@pytest.mark.skipif(not shutil.which("visudo"), reason="visudo is not installed here (the Molecule scenario runs it)")
@pytest.mark.parametrize("setenv", [False, True])
def test_visudo_accepts_the_sudoers_file(tmp_path, setenv):
    path = tmp_path / "sudoers"
    path.write_text(render("sudoers.j2", galaxy_real_user_sudo_setenv=setenv))
    subprocess.run(["visudo", "-cf", str(path)], check=True, capture_output=True)


def test_settings_are_what_the_scripts_accept():
    lib = _library()
    data = json.loads(render("real_user.json.j2"))
    config = lib.Config.from_dict(data)
    assert config.galaxy_user == "galaxy"
    assert (config.uid_min, config.uid_max, config.gid_min, config.gid_max) == (1000, 59999, 1000, 59999)
    assert config.denied_users == {"slurm", "munge", "mysql", "galaxy", "root", "nobody"}
    assert config.allowed_groups == []
    assert config.assign_all_groups is False
    # the roots as preflight resolved them on the host, once
    assert config.allowed_roots == [
        {"path": "/srv/galaxy/jobs", "real": "/srv/galaxy/jobs"},
        {"path": "/srv/galaxy/tmp", "real": "/data/galaxy/tmp"},
    ]
    assert config.drmaa_library_path == "/usr/local/lib/libdrmaa.so.1"
    assert config.syslog_facility == "authpriv"
    assert data["_comment"].startswith("Ansible managed")


def test_settings_point_the_scripts_at_the_drmaa_venv_where_the_distribution_has_no_package():
    lib = _library()
    variables = _variables(galaxy_real_user_drmaa_python_path=["/srv/galaxy/venv/lib/python3.13/site-packages"])
    variables.update(_load_yaml("vars", "Debian_13.yml"))
    plan = drmaa_plan(
        variables,
        variables["__galaxy_real_user_python_drmaa_package"],
        variables["__galaxy_real_user_venv_packages"],
        "3.13",
    )
    config = lib.Config.from_dict(json.loads(render("real_user.json.j2", drmaa=plan)))
    assert config.drmaa_python_path == [
        "/usr/local/libexec/gxhpc/drmaa-venv/lib/python3.13/site-packages",
        "/srv/galaxy/venv/lib/python3.13/site-packages",
    ]
    # Debian 12: the distribution's python3-drmaa, and only the given extra path.
    assert lib.Config.from_dict(json.loads(render("real_user.json.j2"))).drmaa_python_path == []


def test_settings_with_an_empty_library_path_and_all_groups():
    lib = _library()
    config = lib.Config.from_dict(
        json.loads(
            render("real_user.json.j2", galaxy_real_user_drmaa_library_path="", galaxy_real_user_assign_all_groups=True)
        )
    )
    assert config.drmaa_library_path is None
    assert config.assign_all_groups is True


def test_tmpfiles_rule_ages_by_access_and_modification_time():
    rules = _rules(render("new_file_path.tmpfiles.conf.j2", galaxy_real_user_new_file_path_max_age="12h"))
    assert rules == ["d /srv/galaxy/tmp 1777 root root amAM:12h"]


@pytest.mark.parametrize("umask,expected", [("027", "0027"), ("022", "0022"), ("0027", "0027")])
def test_umask_drop_in(umask, expected):
    assert "UMask=%s" % expected in _rules(render("umask.conf.j2", galaxy_real_user_umask=umask))


def test_cleanup_units():
    service = render("cleanup.service.j2")
    assert "ExecStart=/usr/bin/systemd-tmpfiles --clean /etc/gxhpc/new_file_path.tmpfiles.conf" in service
    timer = render("cleanup.timer.j2", galaxy_real_user_cleanup_on_calendar="*-*-* 03:00:00")
    assert "OnCalendar=*-*-* 03:00:00" in timer


@pytest.mark.parametrize(
    "name,function", [("gxhpc_drmaa_runner.py.j2", "runner_main"), ("gxhpc_chown.py.j2", "chown_main")]
)
def test_entry_points_render_to_isolated_python(name, function):
    text = render(name)
    assert text.startswith("#!/usr/bin/python3 -I\n")
    assert "from gxhpc_real_user import %s" % function in text
    assert 'config_file="/etc/gxhpc/real_user.json"' in text
    compile(text, name, "exec")
