"""The galaxy_jobs role's plan: its rules across variables and the host, and what it derives."""

import pytest

from ansible_collections.gxhpc.cluster.plugins.module_utils import galaxy_jobs_plan as gp

SLURM_CONF = {
    "runners": {"slurm": {"load": "galaxy.jobs.runners.slurm:SlurmJobRunner"}},
    "execution": {"default": "slurm", "environments": {"slurm": {"runner": "slurm"}}},
}
LOCAL_CONF = {
    "runners": {"local": {"load": "galaxy.jobs.runners.local:LocalJobRunner"}},
    "execution": {"default": "local", "environments": {"local": {"runner": "local"}}},
}


def settings(**overrides):
    base = {
        "galaxy_jobs_config_dir": "/srv/galaxy/config",
        "galaxy_jobs_galaxy_yml": "/srv/galaxy/config/galaxy.yml",
        "galaxy_jobs_venv": "/srv/galaxy/venv",
        "galaxy_jobs_user": "galaxy",
        "galaxy_jobs_group": "galaxy",
        "galaxy_jobs_conf": SLURM_CONF,
        "galaxy_jobs_conf_format": "yaml",
        "galaxy_jobs_conf_file": "/srv/galaxy/config/job_conf.yml",
        "galaxy_jobs_conf_mode": "0640",
        "galaxy_jobs_database_connection": "",
        "galaxy_jobs_manage_galaxy_yml": True,
        "galaxy_jobs_drmaa_install": "auto",
        "galaxy_jobs_drmaa_library_path": "/usr/local/lib/libdrmaa.so.1",
        "galaxy_jobs_drmaa_library_path_method": "auto",
        "galaxy_jobs_pulsar_galaxy_lib_install": "auto",
        "galaxy_jobs_tpv_install": "auto",
        "galaxy_jobs_tpv_configs": [],
        "galaxy_jobs_process_manager": "gravity",
    }
    base.update(overrides)
    return base


def facts(**overrides):
    base = {
        "inventory_hostname": "galaxy1",
        "check_mode": False,
        "user_exists": True,
        "group_exists": True,
        "galaxy_yml_is_file": True,
        "galaxy_yml": {
            "galaxy": {"database_connection": "postgresql:///galaxy"},
            "gravity": {"handlers": {"handler": {"processes": 2}}},
        },
        "venv_python_exists": True,
        "libdrmaa_exists": True,
    }
    base.update(overrides)
    return base


def test_a_good_site_has_no_problems_and_gives_the_handlers_the_library():
    result = gp.plan(settings(), facts())
    assert result["problems"] == []
    assert result["uses_drmaa"] and result["drmaa_runners"] == ["slurm"]
    assert result["library_method"] == "gravity"
    assert result["install_drmaa"] and not result["install_tpv"] and not result["install_pulsar_lib"]
    assert result["database_connection"] == "postgresql:///galaxy"
    assert result["gravity_handlers"] == {"handler": {"processes": 2}}
    assert result["runner_drmaa_library_path"] is None
    assert result["galaxy_config"] == {
        "galaxy": {"job_config_file": "/srv/galaxy/config/job_conf.yml"},
        "gravity": {
            "virtualenv": "/srv/galaxy/venv",
            "handlers": {"handler": {"environment": {"DRMAA_LIBRARY_PATH": "/usr/local/lib/libdrmaa.so.1"}}},
        },
    }


def test_without_gravity_handlers_the_web_workers_get_the_library():
    result = gp.plan(settings(), facts(galaxy_yml={"galaxy": {}}))
    assert result["galaxy_config"]["gravity"]["gunicorn"] == {
        "environment": {"DRMAA_LIBRARY_PATH": "/usr/local/lib/libdrmaa.so.1"}
    }
    assert "handlers" not in result["galaxy_config"]["gravity"]


def test_no_drmaa_runner_means_no_drmaa_and_only_the_virtualenv_for_gravity():
    result = gp.plan(settings(galaxy_jobs_conf=LOCAL_CONF), facts(libdrmaa_exists=False))
    assert result["problems"] == []
    assert not result["uses_drmaa"] and not result["install_drmaa"]
    assert result["galaxy_config"]["gravity"] == {"virtualenv": "/srv/galaxy/venv"}


@pytest.mark.parametrize(
    "manager, method, conf_handlers, expected",
    [
        ("gravity", "auto", False, "gravity"),
        ("gravity", "auto", True, "runner_param"),  # gravity starts handling.processes from the job conf
        ("systemd", "auto", False, "systemd"),
        ("none", "auto", False, "runner_param"),
        ("gravity", "runner_param", False, "runner_param"),
        ("systemd", "none", False, "none"),
    ],
)
def test_library_method(manager, method, conf_handlers, expected):
    conf = dict(SLURM_CONF)
    if conf_handlers:
        conf["handling"] = {"processes": {"handler0": {}}}
    given = settings(galaxy_jobs_process_manager=manager, galaxy_jobs_drmaa_library_path_method=method)
    assert gp.library_method(given, conf) == expected


def test_runner_param_puts_the_library_into_the_job_conf_and_nothing_into_gravity():
    result = gp.plan(settings(galaxy_jobs_drmaa_library_path_method="runner_param"), facts())
    assert result["runner_drmaa_library_path"] == "/usr/local/lib/libdrmaa.so.1"
    assert result["galaxy_config"]["gravity"] == {"virtualenv": "/srv/galaxy/venv"}


def test_systemd_galaxy_gets_only_the_job_config_file():
    result = gp.plan(settings(galaxy_jobs_process_manager="systemd"), facts())
    assert result["galaxy_config"] == {"galaxy": {"job_config_file": "/srv/galaxy/config/job_conf.yml"}}


def test_every_problem_at_once_each_naming_its_variable():
    result = gp.plan(
        settings(
            galaxy_jobs_drmaa_library_path_method="systemd",
            galaxy_jobs_conf_mode="640",
            galaxy_jobs_conf_file="/srv/galaxy/config/job_conf.xml",
            galaxy_jobs_venv="venv",
            galaxy_jobs_tpv_configs=[{"name": "../x", "content": {}}],
        ),
        facts(user_exists=False, venv_python_exists=False, libdrmaa_exists=False),
    )
    text = "\n".join(result["problems"])
    for expected in (
        "galaxy_jobs_drmaa_library_path_method: 'systemd' needs galaxy_jobs_process_manager 'systemd', "
        "but it is 'gravity'",
        "galaxy_jobs_conf_file: '/srv/galaxy/config/job_conf.xml' must be an absolute path whose name contains '.xml'",
        "not absolute: venv.",
        "galaxy_jobs_user 'galaxy' and galaxy_jobs_group 'galaxy' must exist on galaxy1",
        "galaxy_jobs_tpv_configs must be a list of {name, content}",
        "galaxy_jobs_drmaa_library_path: '/usr/local/lib/libdrmaa.so.1' does not exist on galaxy1, but the job conf "
        "has DRMAA runners (slurm)",
        "galaxy_jobs_venv: 'venv' has no bin/python on galaxy1",
    ):
        assert expected in text
    assert len(result["problems"]) == 7
    # A quoted mode without the leading 0 is still an octal mode.
    assert "galaxy_jobs_conf_mode" not in text


def test_an_unquoted_mode_is_refused():
    assert any(
        "galaxy_jobs_conf_mode: '416'" in p for p in gp.plan(settings(galaxy_jobs_conf_mode=416), facts())["problems"]
    )


def test_check_mode_forgives_a_library_an_earlier_role_would_install():
    assert gp.plan(settings(), facts(libdrmaa_exists=False, check_mode=True))["problems"] == []


def test_flags_arriving_as_text_are_read_as_booleans():
    assert gp.plan(settings(), facts(libdrmaa_exists="False", check_mode="false"))["problems"]
    assert gp.plan(settings(), facts(libdrmaa_exists="False", check_mode="True"))["problems"] == []


def test_galaxy_yml_missing_or_misshapen():
    missing = gp.plan(settings(), facts(galaxy_yml_is_file=False, galaxy_yml=None))["problems"]
    assert any("galaxy_jobs_galaxy_yml: '/srv/galaxy/config/galaxy.yml' is not a file on galaxy1" in p for p in missing)
    bad = gp.plan(settings(), facts(galaxy_yml={"gravity": {"handlers": ["h"]}}))["problems"]
    assert any("gravity.handlers a mapping of handler name to settings" in p for p in bad)


def test_gravity_and_the_role_must_agree_on_the_virtualenv():
    given = facts(galaxy_yml={"gravity": {"virtualenv": "/other/venv"}})
    assert any("differs from gravity.virtualenv '/other/venv'" in p for p in gp.plan(settings(), given)["problems"])
    # Unless the role leaves galaxy.yml alone.
    assert gp.plan(settings(galaxy_jobs_manage_galaxy_yml="false"), given)["problems"] == []


def test_conf_handlers_cannot_take_the_library_through_gravity():
    conf = dict(SLURM_CONF, handling={"processes": {"handler0": {}}})
    problems = gp.plan(settings(galaxy_jobs_conf=conf, galaxy_jobs_drmaa_library_path_method="gravity"), facts())[
        "problems"
    ]
    assert any("galaxy_jobs_conf defines handling.processes" in p for p in problems)


def test_several_gunicorn_sections_and_no_handlers():
    given = facts(galaxy_yml={"gravity": {"gunicorn": [{"bind": "a"}, {"bind": "b"}]}})
    assert any("several gunicorn sections" in p for p in gp.plan(settings(), given)["problems"])


def test_a_runner_param_that_disagrees_with_the_library_path():
    conf = {
        "runners": {"slurm": {"load": "galaxy.jobs.runners.slurm:SlurmJobRunner", "drmaa_library_path": "/x.so"}},
        "execution": {"default": "slurm", "environments": {"slurm": {"runner": "slurm"}}},
    }
    problems = gp.plan(settings(galaxy_jobs_conf=conf), facts())["problems"]
    assert any("galaxy_jobs_conf.runners.slurm.drmaa_library_path: '/x.so' differs" in p for p in problems)


def test_the_variable_wins_over_galaxy_yml_for_the_database():
    assert gp.plan(settings(galaxy_jobs_database_connection="sqlite:///x"), facts())["database_connection"] == (
        "sqlite:///x"
    )


def test_install_choices():
    tpv_conf = dict(LOCAL_CONF, execution={"default": "tpv", "environments": {"tpv": {"runner": "dynamic_tpv"}}})
    result = gp.plan(settings(galaxy_jobs_conf=tpv_conf, galaxy_jobs_drmaa_install="always"), facts())
    assert result["install_tpv"] and result["install_drmaa"]
    result = gp.plan(settings(galaxy_jobs_tpv_install="never", galaxy_jobs_drmaa_install="never"), facts())
    assert not result["install_tpv"] and not result["install_drmaa"]
    configs = [{"name": "tools.yml", "content": {"tools": {}}}]
    assert gp.plan(settings(galaxy_jobs_conf=LOCAL_CONF, galaxy_jobs_tpv_configs=configs), facts())["install_tpv"]


def test_a_job_conf_galaxy_would_refuse_leaves_its_errors_to_the_module():
    result = gp.plan(settings(galaxy_jobs_conf={"runners": ["not", "a", "mapping"]}), facts())
    assert result["problems"] == [] and not result["uses_drmaa"]


@pytest.mark.parametrize(
    "overrides",
    [{}, {"galaxy_jobs_drmaa_library_path_method": "runner_param"}, {"galaxy_jobs_process_manager": "systemd"}],
)
def test_the_published_settings_are_those_the_main_entry_point_merges(overrides):
    """tasks_from: publish (before galaxy.yml exists, handlers from a variable) agrees with the main plan."""
    given = settings(**overrides)
    handlers = {"handler": {"processes": 2}}
    assert gp.published_galaxy_config(given, handlers) == gp.plan(given, facts())["galaxy_config"]
    assert "handlers" not in gp.published_galaxy_config(given, {}).get("gravity", {})


def test_the_monitor_sleeps_go_into_galaxy_yml():
    given = settings(galaxy_jobs_handler_monitor_sleep=0.25, galaxy_jobs_runner_monitor_sleep="0.5")
    result = gp.plan(given, facts())
    assert result["problems"] == []
    assert result["galaxy_config"]["galaxy"] == {
        "job_config_file": "/srv/galaxy/config/job_conf.yml",
        "job_handler_monitor_sleep": 0.25,
        "job_runner_monitor_sleep": 0.5,
    }
    # tasks_from: publish gives a site whose galaxy.yml another role writes the same settings.
    assert gp.published_galaxy_config(given)["galaxy"] == result["galaxy_config"]["galaxy"]


@pytest.mark.parametrize("unset", [None, "", "None"])
def test_an_unset_monitor_sleep_leaves_galaxys_default(unset):
    given = settings(galaxy_jobs_handler_monitor_sleep=unset, galaxy_jobs_runner_monitor_sleep=1.0)
    result = gp.plan(given, facts())
    assert result["problems"] == []
    assert "job_handler_monitor_sleep" not in result["galaxy_config"]["galaxy"]
    assert result["galaxy_config"]["galaxy"]["job_runner_monitor_sleep"] == 1.0


@pytest.mark.parametrize("bad", [0, 0.05, -1, "fast", True, [0.5]])
def test_a_monitor_sleep_that_would_spin_or_is_no_number_is_refused(bad):
    result = gp.plan(settings(galaxy_jobs_runner_monitor_sleep=bad), facts())
    assert len(result["problems"]) == 1
    assert result["problems"][0].startswith(f"galaxy_jobs_runner_monitor_sleep: '{bad}' must be a number of seconds")
    assert "job_runner_monitor_sleep" not in result["galaxy_config"]["galaxy"]


def celery_galaxy_yml(**galaxy):
    return {
        "galaxy": dict({"database_connection": "postgresql:///galaxy", "enable_celery_tasks": True}, **galaxy),
        "gravity": {"handlers": {"handler": {"processes": 2}}, "celery": {"enable": True}},
    }


def test_celery_metadata_is_off_by_default():
    result = gp.plan(settings(), facts())
    assert result["metadata_celery_strategy"] is None


@pytest.mark.parametrize(
    ("strategy", "expected"),
    [(None, "directory_celery"), ("directory", "directory_celery"), ("extended", "extended_celery"),
     ("extended_celery", "extended_celery")],
)  # fmt: skip
def test_celery_metadata_follows_galaxys_metadata_strategy(strategy, expected):
    galaxy_yml = celery_galaxy_yml(**({"metadata_strategy": strategy} if strategy else {}))
    result = gp.plan(settings(galaxy_jobs_metadata_celery=True), facts(galaxy_yml=galaxy_yml))
    assert result["problems"] == []
    assert result["metadata_celery_strategy"] == expected


def test_celery_metadata_without_celery_names_every_missing_piece_at_once():
    galaxy_yml = {
        "galaxy": {"metadata_strategy": "legacy", "real_system_username": "username"},
        "gravity": {"handlers": {}, "celery": {"enable": False}},
    }
    result = gp.plan(settings(galaxy_jobs_metadata_celery=True), facts(galaxy_yml=galaxy_yml))
    problems = result["problems"]
    assert len(problems) == 4
    assert all(p.startswith("galaxy_jobs_metadata_celery: ") for p in problems)
    assert "metadata_strategy is 'legacy'" in problems[0]
    assert "does not set enable_celery_tasks: true" in problems[1]
    assert "gravity.celery.enable: false" in problems[2]
    assert "real_system_username" in problems[3] and "the jobs of slurm (DRMAA) run as their owners" in problems[3]


def test_celery_metadata_with_real_user_is_fine_where_the_drmaa_jobs_keep_their_metadata_step():
    conf = {
        "runners": {
            "slurm": {"load": "galaxy.jobs.runners.slurm:SlurmJobRunner"},
            "cli": {"load": "galaxy.jobs.runners.cli:ShellJobRunner"},
        },
        "execution": {
            "default": "cli",
            "environments": {
                "cli": {"runner": "cli", "job_plugin": "Slurm"},
                "slurm": {"runner": "slurm", "embed_metadata_in_job": True},
            },
        },
    }
    galaxy_yml = celery_galaxy_yml(real_system_username="user_email")
    given = settings(galaxy_jobs_metadata_celery=True, galaxy_jobs_conf=conf)
    assert gp.plan(given, facts(galaxy_yml=galaxy_yml))["problems"] == []


def test_celery_metadata_with_systemd_does_not_ask_for_gravitys_celery():
    galaxy_yml = celery_galaxy_yml()
    galaxy_yml["gravity"]["celery"] = {"enable": False}
    given = settings(galaxy_jobs_metadata_celery=True, galaxy_jobs_process_manager="systemd")
    assert gp.plan(given, facts(galaxy_yml=galaxy_yml))["problems"] == []
