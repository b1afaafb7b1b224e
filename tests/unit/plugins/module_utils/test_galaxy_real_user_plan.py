"""The galaxy_real_user role's plan: its settings rules, the scripts' drmaa, galaxy.yml, the host checks' answer."""

import json
import os

import pytest
import yaml
from ansible.errors import AnsibleFilterError
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.gxhpc.cluster.plugins.filter.real_user import (
    FilterModule,
    galaxy_real_user_plan,
    real_user_galaxy_config,
)
from ansible_collections.gxhpc.cluster.plugins.module_utils.galaxy_real_user_plan import (
    allowed_root_problem,
    drmaa_plan,
    path_list_problems,
    path_problem,
    plan,
    settings_problems,
)

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))))
ROLE = os.path.join(ROOT, "roles", "galaxy_real_user")

GOOD = {
    "galaxy_real_user_galaxy_user": "galaxy",
    "galaxy_real_user_real_system_username": "user_email",
    "galaxy_real_user_scripts_dir": "/usr/local/libexec/gxhpc",
    "galaxy_real_user_python": "/usr/bin/python3",
    "galaxy_real_user_config_file": "/etc/gxhpc/real_user.json",
    "galaxy_real_user_galaxy_config_file": "/srv/galaxy/config/galaxy.yml",
    "galaxy_real_user_galaxy_server_dir": "/srv/galaxy/server",
    "galaxy_real_user_drmaa_library_path": "/usr/local/lib/libdrmaa.so.1",
    "galaxy_real_user_drmaa_python_path": [],
    "galaxy_real_user_job_working_directory": "/srv/galaxy/jobs",
    "galaxy_real_user_new_file_path": "/srv/galaxy/tmp",
    "galaxy_real_user_allowed_roots": ["/srv/galaxy/jobs", "/srv/galaxy/tmp"],
    "galaxy_real_user_uid_min": None,
    "galaxy_real_user_uid_max": 59999,
    "galaxy_real_user_denied_users": ["slurm", "munge", "mysql"],
    "galaxy_real_user_allowed_groups": [],
    "galaxy_real_user_galaxy_scripts_sha256": {"drmaa_external_runner.py": "0" * 64},
    "galaxy_real_user_sudoers_name": "gxhpc-galaxy-real-user",
    "galaxy_real_user_scripts_source": "collection",
    "galaxy_real_user_umask": "027",
    "galaxy_real_user_umask_method": "gravity",
    "galaxy_real_user_galaxy_service": "galaxy.service",
    "galaxy_real_user_new_file_path_max_age": "7d",
    "galaxy_real_user_cleanup_on_calendar": "daily",
    "galaxy_real_user_syslog_facility": "authpriv",
}


def with_(**changes):
    settings = dict(GOOD)
    settings.update(changes)
    return settings


def test_good_settings_have_no_problems():
    assert settings_problems(GOOD) == []


def test_the_role_defaults_have_no_problems():
    with open(os.path.join(ROLE, "defaults", "main.yml")) as handle:
        defaults = yaml.safe_load(handle)
    rendered = {k: v for k, v in defaults.items() if not (isinstance(v, str) and "{{" in v)}
    rendered["galaxy_real_user_allowed_roots"] = [
        defaults["galaxy_real_user_job_working_directory"],
        defaults["galaxy_real_user_new_file_path"],
    ]
    assert settings_problems(rendered) == []


@pytest.mark.parametrize(
    "value",
    ["gal axy", "galaxy\n", "galaxy\nALL ALL=(ALL) NOPASSWD: ALL", "galaxy,root", "gal:axy", "ga=l", "", "root", 5],
)
def test_bad_galaxy_user(value):
    problems = settings_problems(with_(galaxy_real_user_galaxy_user=value))
    assert len(problems) == 1
    assert problems[0].startswith("galaxy_real_user_galaxy_user: %r " % (value,))


@pytest.mark.parametrize(
    "value",
    [
        "/usr/local/libexec/gx hpc",
        "/usr/local/libexec/gxhpc\n",
        "/usr/local/libexec/gxhpc,/bin/sh",
        "/usr/local/libexec/gxhpc\nALL ALL=(ALL) ALL",
        "usr/local/libexec/gxhpc",
        "/usr/local/../../tmp",
        "/usr//local",
        "/usr/local/libexec/",
        "/usr/local/libexec/*",
        "/usr/local/lib=x",
        "/usr/local/lib:x",
        "/usr/local/lib\\x",
        "/usr/local/lib'x",
        "",
        None,
    ],
)
def test_bad_script_paths(value):
    problems = settings_problems(with_(galaxy_real_user_scripts_dir=value))
    assert problems, value
    assert problems[0].startswith("galaxy_real_user_scripts_dir: %r " % (value,))


def test_scripts_dir_inside_galaxy_trees_is_refused():
    problems = settings_problems(with_(galaxy_real_user_scripts_dir="/srv/galaxy/server/scripts"))
    assert len(problems) == 1
    assert "Galaxy user can write" in problems[0]
    assert settings_problems(with_(galaxy_real_user_scripts_dir="/usr/local/bin"))


@pytest.mark.parametrize("name", ["galaxy_real_user_python", "galaxy_real_user_config_file"])
def test_other_paths(name):
    assert settings_problems(with_(**{name: "/usr/bin/python3 -c"}))[0].startswith(name + ":")


@pytest.mark.parametrize(
    "roots",
    [["/"], ["/etc"], ["/srv/galaxy/jobs", "/home"], ["relative"], [], "/srv/galaxy/jobs", ["/srv/galaxy/jobs\n"]],
)
def test_bad_allowed_roots(roots):
    problems = settings_problems(with_(galaxy_real_user_allowed_roots=roots))
    assert problems
    assert problems[0].startswith("galaxy_real_user_allowed_roots:")


def test_each_bad_entry_of_a_path_list_is_named_once():
    entries = ["/srv/ok", "relative", "/srv/a b", "/etc", None]
    assert path_list_problems("x", entries) == [
        f"x: entry 'relative' {path_problem('relative')}.",
        f"x: entry '/srv/a b' {path_problem('/srv/a b')}.",
        f"x: entry None {path_problem(None)}.",
    ]
    # allowed_roots' rule is path_problem's and no system directory.
    assert path_list_problems("x", entries, allowed_root_problem) == [
        f"x: entry 'relative' {path_problem('relative')}.",
        f"x: entry '/srv/a b' {path_problem('/srv/a b')}.",
        "x: entry '/etc' is a system directory; the chown script must be confined to Galaxy's own job working "
        "directory and new_file_path.",
        f"x: entry None {path_problem(None)}.",
    ]


@pytest.mark.parametrize("entry", ["/", "/usr", "/etc", "/home", "/tmp", "/var", "/srv"])
def test_an_allowed_root_may_not_be_a_system_directory_a_drmaa_python_path_entry_may(entry):
    roots = settings_problems(with_(galaxy_real_user_allowed_roots=["/srv/galaxy/jobs", entry]))
    assert roots == [
        f"galaxy_real_user_allowed_roots: entry {entry!r} is a system directory; the chown script must be "
        "confined to Galaxy's own job working directory and new_file_path."
    ]
    assert settings_problems(with_(galaxy_real_user_drmaa_python_path=[entry])) == []


def test_a_drmaa_python_path_may_be_empty_allowed_roots_may_not():
    assert settings_problems(with_(galaxy_real_user_drmaa_python_path=[])) == []
    assert settings_problems(with_(galaxy_real_user_allowed_roots=[])) == [
        "galaxy_real_user_allowed_roots: [] must be a non-empty list of absolute paths (the job working directory "
        "and new_file_path)."
    ]


@pytest.mark.parametrize("name", ["galaxy_real_user_job_working_directory", "galaxy_real_user_new_file_path"])
@pytest.mark.parametrize("value", ["/", "/tmp", "/etc", "tmp", "/srv/gal axy"])
def test_bad_galaxy_directories(name, value):
    problems = settings_problems(with_(**{name: value}))
    assert any(problem.startswith(name + ":") for problem in problems), problems


@pytest.mark.parametrize(
    "name,value",
    [
        ("galaxy_real_user_uid_min", 0),
        ("galaxy_real_user_uid_min", "1000"),
        ("galaxy_real_user_uid_min", True),
        ("galaxy_real_user_uid_min", 70000),
        ("galaxy_real_user_gid_max", 2**32),
        ("galaxy_real_user_denied_users", "slurm"),
        ("galaxy_real_user_denied_users", ["sl urm"]),
        ("galaxy_real_user_allowed_groups", ["lab\n"]),
        ("galaxy_real_user_galaxy_scripts_sha256", {"x": "abc"}),
        ("galaxy_real_user_galaxy_scripts_sha256", ["0" * 64]),
        ("galaxy_real_user_sudoers_name", "gxhpc.real_user"),
        ("galaxy_real_user_sudoers_name", "gxhpc~"),
        ("galaxy_real_user_sudoers_name", "../sudoers"),
        ("galaxy_real_user_galaxy_service", "galaxy"),
        ("galaxy_real_user_galaxy_service", "galaxy.service\nExecStart=/bin/sh"),
        ("galaxy_real_user_new_file_path_max_age", "7"),
        ("galaxy_real_user_new_file_path_max_age", "0d"),
        ("galaxy_real_user_new_file_path_max_age", "7d\n"),
        ("galaxy_real_user_cleanup_on_calendar", "daily\nExecStart=/bin/sh"),
        ("galaxy_real_user_real_system_username", "user email"),
        ("galaxy_real_user_real_system_username", "root"),
        ("galaxy_real_user_drmaa_python_path", "/srv/galaxy/venv"),
        ("galaxy_real_user_drmaa_python_path", ["venv"]),
        ("galaxy_real_user_drmaa_library_path", "libdrmaa.so.1"),
        ("galaxy_real_user_drmaa_version", "latest"),
        ("galaxy_real_user_drmaa_version", "0.7.9; rm -rf /"),
        ("galaxy_real_user_drmaa_version", 0.7),
        ("galaxy_real_user_drmaa_version", ">=0.7"),
        ("galaxy_real_user_drmaa_pip_extra_args", "--index-url x\n--trusted-host y"),
        ("galaxy_real_user_drmaa_pip_extra_args", ["--no-index"]),
    ],
)
def test_other_bad_values(name, value):
    problems = settings_problems(with_(**{name: value}))
    assert len(problems) == 1, problems
    assert problems[0].startswith(name + ":")


# Choices are the argument spec's alone: it refuses these before preflight runs.
ARGUMENT_SPEC = os.path.join(ROLE, "meta", "argument_specs.yml")


@pytest.mark.parametrize(
    "name,value",
    [
        ("galaxy_real_user_scripts_source", "github"),
        ("galaxy_real_user_umask", "077"),
        ("galaxy_real_user_umask", 27),
        ("galaxy_real_user_umask", "0002"),
        ("galaxy_real_user_umask_method", "profile"),
        ("galaxy_real_user_syslog_facility", "kern"),
    ],
)
def test_bad_choices_are_refused_by_the_argument_spec(name, value):
    with open(ARGUMENT_SPEC) as handle:
        spec = yaml.safe_load(handle)["argument_specs"]["main"]["options"]
    (message,) = ArgumentSpecValidator(spec).validate({name: value}).error_messages
    assert message.startswith(f"value of {name} must be one of: ")


@pytest.mark.parametrize(
    "name,value",
    [
        ("galaxy_real_user_umask", "022"),
        ("galaxy_real_user_umask", "0027"),
        ("galaxy_real_user_umask_method", "systemd"),
        ("galaxy_real_user_umask_method", "none"),
        ("galaxy_real_user_real_system_username", "username"),
        ("galaxy_real_user_real_system_username", "galaxyjobs"),
        ("galaxy_real_user_drmaa_library_path", ""),
        ("galaxy_real_user_drmaa_python_path", ["/srv/galaxy/venv/lib/python3.11/site-packages"]),
        ("galaxy_real_user_cleanup_on_calendar", "*-*-* 03:00:00"),
        ("galaxy_real_user_new_file_path_max_age", "12h"),
        ("galaxy_real_user_scripts_source", "galaxy"),
        ("galaxy_real_user_drmaa_version", "0.7.9"),
        ("galaxy_real_user_drmaa_pip_extra_args", "--no-index --find-links /srv/wheels"),
    ],
)
def test_other_good_values(name, value):
    assert settings_problems(with_(**{name: value})) == []


def test_messages_name_the_variable_the_value_and_what_is_accepted():
    (message,) = settings_problems({"galaxy_real_user_galaxy_user": "gal\naxy"})
    assert message.startswith("galaxy_real_user_galaxy_user: 'gal\\naxy' ")
    assert "plain user name" in message


def test_only_present_variables_are_checked():
    assert settings_problems({}) == []


def test_input_must_be_a_dict():
    with pytest.raises(AnsibleFilterError):
        galaxy_real_user_plan(["galaxy"])


def test_filters_are_registered():
    assert set(FilterModule().filters()) == {"galaxy_real_user_plan", "real_user_galaxy_config"}


# --- where the scripts' drmaa comes from --------------------------------------------------------------

VENV_PACKAGES = ["python3-venv", "python3-packaging"]
DRMAA_SETTINGS = with_(
    galaxy_real_user_install_python_drmaa=True,
    galaxy_real_user_drmaa_version="0.7.9",
    galaxy_real_user_drmaa_python_path=[],
)


def platform_vars(name):
    with open(os.path.join(ROLE, "vars", name)) as handle:
        return yaml.safe_load(handle)


def test_debian_12_gets_the_distribution_package():
    plan = drmaa_plan(DRMAA_SETTINGS, "python3-drmaa", VENV_PACKAGES, "3.11")
    assert plan["method"] == "package"
    assert plan["apt_packages"] == ["python3-drmaa"]
    assert plan["python_path"] == []
    assert plan["problems"] == []


def test_debian_13_gets_drmaa_from_pip_in_a_root_owned_venv_the_settings_point_at():
    settings = dict(
        DRMAA_SETTINGS, galaxy_real_user_drmaa_python_path=["/srv/galaxy/venv/lib/python3.13/site-packages"]
    )
    plan = drmaa_plan(settings, "", VENV_PACKAGES, "3.13")
    assert plan["method"] == "pip"
    assert plan["apt_packages"] == VENV_PACKAGES
    assert plan["venv"] == "/usr/local/libexec/gxhpc/drmaa-venv"
    assert plan["pip_name"] == "drmaa==0.7.9"
    # The root-owned copy first: the scripts append the entries in this order.
    assert plan["python_path"] == [
        "/usr/local/libexec/gxhpc/drmaa-venv/lib/python3.13/site-packages",
        "/srv/galaxy/venv/lib/python3.13/site-packages",
    ]
    assert plan["problems"] == []


def test_the_venv_follows_the_scripts_dir_and_the_version_is_overridable():
    settings = dict(DRMAA_SETTINGS, galaxy_real_user_scripts_dir="/opt/gx", galaxy_real_user_drmaa_version="0.7.8")
    plan = drmaa_plan(settings, "", VENV_PACKAGES, "3.12")
    assert plan["pip_name"] == "drmaa==0.7.8"
    assert plan["python_path"] == ["/opt/gx/drmaa-venv/lib/python3.12/site-packages"]


def test_the_venv_site_packages_is_listed_once():
    site = "/usr/local/libexec/gxhpc/drmaa-venv/lib/python3.13/site-packages"
    settings = dict(DRMAA_SETTINGS, galaxy_real_user_drmaa_python_path=[site])
    assert drmaa_plan(settings, "", VENV_PACKAGES, "3.13")["python_path"] == [site]


@pytest.mark.parametrize("package", ["python3-drmaa", ""])
def test_install_false_installs_nothing_and_keeps_the_given_path(package):
    settings = dict(
        DRMAA_SETTINGS,
        galaxy_real_user_install_python_drmaa=False,
        galaxy_real_user_drmaa_python_path=["/opt/drmaa/site-packages"],
    )
    plan = drmaa_plan(settings, package, VENV_PACKAGES, None)
    assert plan["method"] == "none"
    assert plan["apt_packages"] == []
    assert plan["python_path"] == ["/opt/drmaa/site-packages"]
    assert plan["problems"] == []


def test_galaxy_scripts_cannot_use_the_venv():
    settings = dict(DRMAA_SETTINGS, galaxy_real_user_scripts_source="galaxy")
    plan = drmaa_plan(settings, "", VENV_PACKAGES, None)
    assert plan["apt_packages"] == []
    (problem,) = plan["problems"]
    assert problem.startswith("galaxy_real_user_install_python_drmaa: true")
    assert "galaxy_real_user_scripts_source: galaxy" in problem
    # Where the distribution has the package, Galaxy's scripts get it as before.
    assert drmaa_plan(settings, "python3-drmaa", VENV_PACKAGES, None)["problems"] == []


@pytest.mark.parametrize("version", [None, "", "3", "3.13\n", "../../etc", "2.7"])
def test_an_unknown_interpreter_version_is_a_problem(version):
    plan = drmaa_plan(DRMAA_SETTINGS, "", VENV_PACKAGES, version)
    (problem,) = plan["problems"]
    assert problem.startswith("galaxy_real_user_install_python_drmaa:")
    assert repr(version) in problem


def test_plan_input_must_be_a_dict_and_names_the_filter():
    with pytest.raises(AnsibleFilterError, match="galaxy_real_user_plan expects a dict"):
        galaxy_real_user_plan("x", {})


def test_platform_vars_debian_13_has_no_package_debian_has_one():
    debian = platform_vars("Debian.yml")
    trixie = platform_vars("Debian_13.yml")
    assert debian["__galaxy_real_user_python_drmaa_package"] == "python3-drmaa"
    assert trixie["__galaxy_real_user_python_drmaa_package"] == ""
    assert "python3-venv" in debian["__galaxy_real_user_venv_packages"]
    merged = dict(debian, **trixie)
    plan = drmaa_plan(
        DRMAA_SETTINGS,
        merged["__galaxy_real_user_python_drmaa_package"],
        merged["__galaxy_real_user_venv_packages"],
        "3.13",
    )
    assert plan["method"] == "pip"


def test_the_role_default_drmaa_version_is_the_one_the_drmaa_scenario_tests():
    with open(os.path.join(ROLE, "defaults", "main.yml")) as handle:
        defaults = yaml.safe_load(handle)
    with open(os.path.join(ROOT, "molecule", "drmaa", "prepare.yml")) as handle:
        prepare = handle.read()
    assert f"drmaa=={defaults['galaxy_real_user_drmaa_version']}" in prepare


# -- real_user_galaxy_config: what the role merges into galaxy.yml and publishes ---------------------------------

GALAXY_SETTINGS = {
    "galaxy_real_user_scripts_dir": "/opt/gxhpc/real-user",
    "galaxy_real_user_sudo_setenv": False,
    "galaxy_real_user_assign_all_groups": False,
    "galaxy_real_user_real_system_username": "user_email",
    "galaxy_real_user_new_file_path": "/srv/galaxy/var/tmp",
    "galaxy_real_user_job_working_directory": "/srv/galaxy/jobs",
    "galaxy_real_user_umask_method": "systemd",
    "galaxy_real_user_umask": "027",
}
SCRIPTS = {"runner": "gxhpc_drmaa_runner.py", "killer": "gxhpc_drmaa_killer.py", "chown": "gxhpc_chown.py"}


def test_real_user_galaxy_config_gives_galaxy_the_sudo_commands_and_the_directories():
    assert real_user_galaxy_config(GALAXY_SETTINGS, SCRIPTS, "") == {
        "galaxy": {
            "outputs_to_working_directory": True,
            "real_system_username": "user_email",
            "drmaa_external_runjob_script": "sudo -n /opt/gxhpc/real-user/gxhpc_drmaa_runner.py",
            "drmaa_external_killjob_script": "sudo -n /opt/gxhpc/real-user/gxhpc_drmaa_killer.py",
            "external_chown_script": "sudo -n /opt/gxhpc/real-user/gxhpc_chown.py",
            "new_file_path": "/srv/galaxy/var/tmp",
            "job_working_directory": "/srv/galaxy/jobs",
        }
    }


def test_real_user_galaxy_config_options():
    given = dict(
        GALAXY_SETTINGS,
        galaxy_real_user_sudo_setenv=True,
        galaxy_real_user_assign_all_groups=True,
        galaxy_real_user_umask_method="gravity",
    )
    # galaxy.yml sets job_working_directory already (preflight checked it agrees): not set again.
    result = real_user_galaxy_config(given, SCRIPTS, "/srv/galaxy/jobs")
    assert "job_working_directory" not in result["galaxy"]
    assert result["galaxy"]["drmaa_external_runjob_script"] == (
        "sudo -n -E /opt/gxhpc/real-user/gxhpc_drmaa_runner.py --assign_all_groups"
    )
    assert result["galaxy"]["drmaa_external_killjob_script"] == "sudo -n -E /opt/gxhpc/real-user/gxhpc_drmaa_killer.py"
    assert result["gravity"] == {"umask": "027"}
    # tasks_from: publish reads no galaxy.yml: the role's directory is set.
    assert real_user_galaxy_config(GALAXY_SETTINGS, SCRIPTS)["galaxy"]["job_working_directory"] == "/srv/galaxy/jobs"
    with pytest.raises(AnsibleFilterError, match="expects a dict"):
        real_user_galaxy_config([], SCRIPTS)


# -- plan: the settings, Galaxy's scripts, the host checks and galaxy.yml, every problem at once ---------------

HOST = {
    "problems": [],
    "allowed_roots": [{"path": "/srv/galaxy/jobs", "real": "/srv/galaxy/jobs"}],
    "python_version": "3.11",
    "uid_min": 1000,
    "uid_max": 59999,
    "gid_min": 1000,
    "gid_max": 59999,
}
PLAN_SETTINGS = with_(
    galaxy_real_user_install_python_drmaa=True,
    galaxy_real_user_drmaa_version="0.7.9",
    galaxy_real_user_manage_galaxy_config=True,
    galaxy_real_user_sudo_setenv=False,
    galaxy_real_user_assign_all_groups=False,
)


def facts(**changes):
    given = {
        "galaxy_scripts": {},
        "host_rc": 0,
        "host_stdout": json.dumps(HOST),
        "host_stderr": "",
        "drmaa_package": "python3-drmaa",
        "venv_packages": VENV_PACKAGES,
        "script_names": SCRIPTS,
        "galaxy_yml_read": True,
        "galaxy_yml": {"galaxy": {"admin_users": "a@example.org"}},
        "galaxy_yml_error": "",
    }
    given.update(changes)
    return given


def test_plan_of_a_good_host():
    result = plan(PLAN_SETTINGS, facts())
    assert result["problems"] == []
    assert result["host"] == HOST
    assert result["drmaa"]["method"] == "package"
    assert result["galaxy_job_working_directory"] == ""
    # galaxy.yml sets no job_working_directory: the role sets it.
    assert result["galaxy_config"]["galaxy"]["job_working_directory"] == "/srv/galaxy/jobs"
    assert (
        result["galaxy_config"]["galaxy"]["external_chown_script"] == "sudo -n /usr/local/libexec/gxhpc/gxhpc_chown.py"
    )


@pytest.mark.parametrize(
    "host",
    [
        {"host_rc": 1, "host_stdout": "", "host_stderr": "Traceback: KeyError 'python'"},
        {"host_rc": 0, "host_stdout": "not json"},
        {"host_rc": 0, "host_stdout": "[]"},
        {"host_rc": 0, "host_stdout": '{"allowed_roots": []}'},
        {"host_rc": "", "host_stdout": json.dumps(HOST), "host_stderr": "the script task was skipped"},
    ],
)
def test_no_answer_from_the_host_checks_is_a_problem(host):
    """Fail closed: without the host checks' answer nothing says the Galaxy user cannot change what root runs."""
    result = plan(PLAN_SETTINGS, facts(**host))
    assert result["problems"][0].startswith("galaxy_real_user: the host checks (gxhpc_real_user.py preflight) gave no")
    assert result["host"] == {}


def test_an_answer_already_parsed_is_read_as_it_is():
    assert plan(PLAN_SETTINGS, facts(host_stdout=dict(HOST)))["host"] == HOST


def test_host_problems_settings_problems_and_galaxy_yml_problems_at_once():
    host = dict(HOST, problems=["galaxy_real_user_new_file_path: '/srv/galaxy/tmp' is owned by galaxy."])
    result = plan(
        dict(PLAN_SETTINGS, galaxy_real_user_sudoers_name="a.b"),
        facts(host_stdout=json.dumps(host), galaxy_yml={"galaxy": {"job_working_directory": "/data/jobs"}}),
    )
    assert [problem.split(":")[0] for problem in result["problems"]] == [
        "galaxy_real_user_sudoers_name",
        "galaxy_real_user_new_file_path",
        "galaxy_real_user_job_working_directory",
    ]
    assert "('/data/jobs'); the chown script would refuse every job" in result["problems"][2]


def test_an_unreadable_galaxy_yml_is_a_problem_unless_the_role_leaves_it_alone():
    unread = facts(galaxy_yml_read=False, galaxy_yml=None, galaxy_yml_error="file not found")
    (problem,) = plan(PLAN_SETTINGS, unread)["problems"]
    assert problem.startswith("galaxy_real_user_galaxy_config_file: '/srv/galaxy/config/galaxy.yml' cannot be read")
    assert "(file not found)" in problem
    alone = plan(dict(PLAN_SETTINGS, galaxy_real_user_manage_galaxy_config=False), unread)
    assert alone["problems"] == []
    assert alone["galaxy_job_working_directory"] is None


def test_galaxy_yml_with_the_same_job_working_directory_is_kept():
    result = plan(PLAN_SETTINGS, facts(galaxy_yml={"galaxy": {"job_working_directory": "/srv/galaxy/jobs"}}))
    assert result["problems"] == []
    assert "job_working_directory" not in result["galaxy_config"]["galaxy"]


def test_galaxys_own_scripts_must_be_there():
    settings = dict(PLAN_SETTINGS, galaxy_real_user_scripts_source="galaxy")
    result = plan(settings, facts(galaxy_scripts={"drmaa_external_runner.py": True, "external_chown_script.py": False}))
    (problem,) = result["problems"]
    assert problem.startswith("galaxy_real_user_scripts_source is galaxy, but external_chown_script.py is not in")


def test_the_drmaa_venv_follows_the_host_checks_python_version():
    result = plan(PLAN_SETTINGS, facts(drmaa_package="", host_stdout=json.dumps(dict(HOST, python_version="3.13"))))
    assert result["problems"] == []
    assert result["drmaa"]["python_path"] == ["/usr/local/libexec/gxhpc/drmaa-venv/lib/python3.13/site-packages"]
