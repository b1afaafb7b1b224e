# Copyright: gxhpc.cluster contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The galaxy_jobs role's plan: what is wrong with its variables and the host, and every value derived from them.

Read by the role's preflight (through the ``galaxy_jobs_plan`` filter); the later phases read the plan and never
re-derive it. argument_specs check types and choices; the rules here are those across variables and the host.
The job conf's own rules (Galaxy's schema) are the ``galaxy_job_conf`` module's: it masks Pulsar tokens and broker
passwords in its messages, so preflight runs it with the database connection and handlers this plan read.

``facts`` is what preflight read on the host::

    user_exists, group_exists      getent found galaxy_jobs_user / galaxy_jobs_group
    galaxy_yml_is_file             galaxy_jobs_galaxy_yml exists and is a regular file
    galaxy_yml                     its parsed content (None when unreadable or empty)
    venv_python_exists             galaxy_jobs_venv/bin/python exists
    libdrmaa_exists                galaxy_jobs_drmaa_library_path exists
    check_mode                     the run is in check mode (an earlier role may not have installed libdrmaa yet)
"""

import json
import os
import re

from ansible_collections.gxhpc.cluster.plugins.module_utils.job_conf_schema import DRMAA_FAMILIES
from ansible_collections.gxhpc.cluster.plugins.module_utils.job_conf_summary import summarize, with_celery_metadata
from ansible_collections.gxhpc.cluster.plugins.module_utils.plan_values import flag

_MODE = re.compile(r"^0?[0-7]{3}$")
_TPV_NAME = re.compile(r"^[A-Za-z0-9_.-]+$")
# The role's latency variables and the galaxy.yml options they set. Galaxy's default for both is 1.0 s.
MONITOR_SLEEPS = {
    "galaxy_jobs_handler_monitor_sleep": "job_handler_monitor_sleep",
    "galaxy_jobs_runner_monitor_sleep": "job_runner_monitor_sleep",
}
# Below this a handler's loops spin: each handler iteration is a database query, each runner iteration asks the
# cluster (squeue per destination for the CLI runner, one status call per watched job for DRMAA).
MIN_MONITOR_SLEEP = 0.1


def _mapping(value):
    return value if isinstance(value, dict) else {}


def read_galaxy_yml(galaxy_yml, database_connection=""):
    """What galaxy.yml says that the role needs: its gravity section, gravity's handlers, the database.

    Returns (layout_ok, gravity, gravity_handlers, database_connection).
    """
    data = galaxy_yml if galaxy_yml is not None else {}
    if not isinstance(data, dict):
        return False, {}, {}, database_connection or ""
    gravity = data.get("gravity") or {}
    handlers = gravity.get("handlers") or {} if isinstance(gravity, dict) else {}
    galaxy = data.get("galaxy") or {}
    connection = database_connection or (galaxy.get("database_connection") if isinstance(galaxy, dict) else "") or ""
    ok = isinstance(gravity, dict) and isinstance(handlers, dict)
    return ok, _mapping(gravity), _mapping(handlers), connection


def _conf_handlers(conf):
    """The job conf's own handlers (handling.processes), which gravity starts from the job conf."""
    return _mapping(_mapping(conf.get("handling")).get("processes"))


def library_method(settings, conf):
    """How DRMAA_LIBRARY_PATH reaches the handlers: gravity, systemd, runner_param or none.

    gravity starts the job conf's own handlers (handling.processes) from the job conf, with the environment given
    there, not from gravity.handlers: for those the runner param is the place that reaches them.
    """
    method = settings.get("galaxy_jobs_drmaa_library_path_method", "auto")
    if method != "auto":
        return method
    manager = settings.get("galaxy_jobs_process_manager", "gravity")
    if manager == "none" or (manager == "gravity" and _conf_handlers(conf)):
        return "runner_param"
    return manager


def monitor_sleep(value):
    """A monitor sleep variable as seconds: None when unset (null or empty: Galaxy's own default stays), a float
    otherwise; ValueError for anything else."""
    if value is None or (isinstance(value, str) and value.strip() in ("", "None")):
        return None
    if isinstance(value, bool):
        raise ValueError(value)
    return float(value)


def monitor_sleep_settings(settings):
    """The galaxy.yml options the monitor sleep variables set (the unset and invalid ones left out)."""
    result = {}
    for variable, option in MONITOR_SLEEPS.items():
        try:
            seconds = monitor_sleep(settings.get(variable))
        except (TypeError, ValueError):
            continue
        if seconds is not None and seconds >= MIN_MONITOR_SLEEP:
            result[option] = seconds
    return result


def _monitor_sleep_problems(settings):
    problems = []
    for variable in MONITOR_SLEEPS:
        value = settings.get(variable)
        try:
            seconds = monitor_sleep(value)
        except (TypeError, ValueError):
            seconds = -1.0
        if seconds is not None and seconds < MIN_MONITOR_SLEEP:
            problems.append(
                f"{variable}: '{value}' must be a number of seconds, at least {MIN_MONITOR_SLEEP} (each iteration "
                "queries the database or the cluster), or null to keep Galaxy's default (1.0)."
            )
    return problems


def galaxy_settings(settings, library, uses_drmaa, gravity_handlers):
    """The settings galaxy_jobs puts into galaxy.yml: the job conf's path, the handlers' monitor sleeps, and for
    gravity its virtualenv and the handlers' (or, without handlers, the web workers') DRMAA_LIBRARY_PATH.

    Published as the fact galaxy_jobs_galaxy_config, for sites whose galaxy.yml another role writes.
    """
    result = {"galaxy": {"job_config_file": settings.get("galaxy_jobs_conf_file")}}
    result["galaxy"].update(monitor_sleep_settings(settings))
    if settings.get("galaxy_jobs_process_manager", "gravity") != "gravity":
        return result
    # gravity sets VIRTUAL_ENV (and PATH) of every service from its virtualenv setting.
    gravity = {"virtualenv": settings.get("galaxy_jobs_venv")}
    if library == "gravity" and uses_drmaa:
        environment = {"environment": {"DRMAA_LIBRARY_PATH": settings.get("galaxy_jobs_drmaa_library_path")}}
        # Handlers run the jobs when gravity starts any; otherwise the web workers do.
        if gravity_handlers:
            gravity["handlers"] = {name: dict(environment) for name in gravity_handlers}
        else:
            gravity["gunicorn"] = environment
    result["gravity"] = gravity
    return result


def published_galaxy_config(settings, gravity_handlers=None):
    """galaxy_settings() from the role's variables alone, for tasks_from: publish (which runs before Galaxy and its
    galaxy.yml exist): the handlers are the ones the site's galaxy.yml will define."""
    conf = _mapping(settings.get("galaxy_jobs_conf"))
    uses_drmaa = bool(_summary(conf).get("drmaa_runners"))
    return galaxy_settings(settings, library_method(settings, conf), uses_drmaa, _mapping(gravity_handlers))


def _summary(conf):
    """summarize() of the job conf; of one Galaxy would refuse, nothing (the galaxy_job_conf module says why)."""
    try:
        return summarize(conf)
    except (AttributeError, TypeError):
        return {}


def _choice(value, always_when):
    return value == "always" or (value == "auto" and always_when)


def _tpv_problem(configs):
    ok = isinstance(configs, list) and all(isinstance(item, dict) for item in configs)
    if ok:
        names = [item.get("name") for item in configs]
        ok = (
            all(isinstance(name, str) and _TPV_NAME.search(name) and not re.fullmatch(r"[.]+", name) for name in names)
            and len(set(names)) == len(names)
            and all(("content" in item) != ("src" in item) for item in configs)
            and all(isinstance(item["content"], dict) for item in configs if "content" in item)
        )
    if ok:
        return None
    return (
        "galaxy_jobs_tpv_configs must be a list of {name, content} (content a TPV config mapping) or {name, src}, "
        "each name a unique plain file name (letters, digits, '_', '.', '-'); "
        f"got {json.dumps(configs, default=str)}."
    )


# galaxy.yml's metadata_strategy (Galaxy's default: directory) and the Celery form galaxy_jobs_metadata_celery uses.
CELERY_STRATEGIES = {
    "directory": "directory_celery",
    "extended": "extended_celery",
    "directory_celery": "directory_celery",
    "extended_celery": "extended_celery",
}


def celery_metadata(settings, galaxy_yml, gravity, galaxy_yml_path):
    """galaxy_jobs_metadata_celery: (the metadata_strategy the cluster environments get, or None; problems).

    The handler waits for a Celery task to set each job's metadata, so Galaxy must run Celery: enable_celery_tasks
    in galaxy.yml and, with gravity, its celery service not switched off. The task runs as the galaxy user on the
    Galaxy server, so it cannot write a job directory that real-user submission has given to the job's owner.
    """
    if not flag(settings.get("galaxy_jobs_metadata_celery", False)):
        return None, []
    galaxy = _mapping(_mapping(galaxy_yml).get("galaxy"))
    problems = []
    base = galaxy.get("metadata_strategy") or "directory"
    strategy = CELERY_STRATEGIES.get(base)
    if strategy is None:
        problems.append(
            f"galaxy_jobs_metadata_celery: galaxy.yml's metadata_strategy is '{base}'; Celery metadata works with "
            f"{', '.join(CELERY_STRATEGIES)}."
        )
    if not flag(galaxy.get("enable_celery_tasks", False)):
        problems.append(
            f"galaxy_jobs_metadata_celery: {galaxy_yml_path} does not set enable_celery_tasks: true. The job "
            "handlers would wait for Celery tasks nobody runs: set up Galaxy's Celery workers first (galaxy.yml's "
            "enable_celery_tasks and celery_conf, gravity's celery service), or leave this false."
        )
    if settings.get("galaxy_jobs_process_manager", "gravity") == "gravity":
        celery = gravity.get("celery")
        if isinstance(celery, dict) and celery.get("enable") is not None and not flag(celery.get("enable")):
            problems.append(
                f"galaxy_jobs_metadata_celery: gravity's celery service is switched off in {galaxy_yml_path} "
                "(gravity.celery.enable: false), so no worker would set the jobs' metadata."
            )
    # Real-user submission goes through the DRMAA runners only (Galaxy's external run-job scripts).
    conf = _mapping(settings.get("galaxy_jobs_conf"))
    _converted, changed = with_celery_metadata(conf, strategy or "directory_celery")
    as_owner = [str(env_id) for env_id, family in changed.items() if family in DRMAA_FAMILIES]
    if galaxy.get("real_system_username") and as_owner:
        problems.append(
            f"galaxy_jobs_metadata_celery: {galaxy_yml_path} sets real_system_username, so the jobs of "
            f"{', '.join(as_owner)} (DRMAA) run as their owners, and the Celery worker, which runs as the galaxy "
            "user, could not write the metadata of a job directory its owner holds until the job is finished. "
            "Keep the metadata step in those jobs: set embed_metadata_in_job: true on them, or leave this false."
        )
    return strategy, problems


def plan(settings, facts):
    """The whole plan: ``problems`` (every problem at once) and the derived values the later phases read."""
    problems = []
    conf = _mapping(settings.get("galaxy_jobs_conf"))
    conf_format = settings.get("galaxy_jobs_conf_format", "yaml")
    manager = settings.get("galaxy_jobs_process_manager", "gravity")
    method_setting = settings.get("galaxy_jobs_drmaa_library_path_method", "auto")
    manage_galaxy_yml = flag(settings.get("galaxy_jobs_manage_galaxy_yml", True))
    host = facts.get("inventory_hostname", "this host")
    galaxy_yml_path = settings.get("galaxy_jobs_galaxy_yml")
    venv = settings.get("galaxy_jobs_venv")
    library_path = settings.get("galaxy_jobs_drmaa_library_path")

    if method_setting in ("gravity", "systemd") and method_setting != manager:
        problems.append(
            f"galaxy_jobs_drmaa_library_path_method: '{method_setting}' needs galaxy_jobs_process_manager "
            f"'{method_setting}', but it is '{manager}'; use runner_param (works with any process manager) or auto."
        )
    mode = settings.get("galaxy_jobs_conf_mode")
    if not (isinstance(mode, str) and _MODE.match(mode)):
        problems.append(f"galaxy_jobs_conf_mode: '{mode}' must be an octal mode in quotes, such as \"0640\".")
    conf_file = settings.get("galaxy_jobs_conf_file")
    if not (
        isinstance(conf_file, str) and os.path.isabs(conf_file) and (".xml" in conf_file) == (conf_format == "xml")
    ):
        problems.append(
            f"galaxy_jobs_conf_file: '{conf_file}' must be an absolute path whose name contains '.xml' exactly when "
            f"galaxy_jobs_conf_format is xml ('{conf_format}'): Galaxy parses any job_config_file containing '.xml' "
            "as XML."
        )
    paths = [settings.get("galaxy_jobs_config_dir"), galaxy_yml_path, venv, library_path]
    relative = [str(path) for path in paths if not (isinstance(path, str) and os.path.isabs(path))]
    if relative:
        problems.append(
            "galaxy_jobs_config_dir, galaxy_jobs_galaxy_yml, galaxy_jobs_venv and galaxy_jobs_drmaa_library_path must "
            f"be absolute paths; not absolute: {', '.join(relative)}."
        )
    if not (flag(facts.get("user_exists")) and flag(facts.get("group_exists"))):
        problems.append(
            f"galaxy_jobs_user '{settings.get('galaxy_jobs_user')}' and galaxy_jobs_group "
            f"'{settings.get('galaxy_jobs_group')}' must exist on {host} (the job conf is readable by the group): "
            "install Galaxy first, or name its account."
        )
    if not flag(facts.get("galaxy_yml_is_file")):
        problems.append(
            f"galaxy_jobs_galaxy_yml: '{galaxy_yml_path}' is not a file on {host}. This role configures an existing "
            "Galaxy: install Galaxy first (galaxyproject.galaxy or by hand) or name its galaxy.yml."
        )
    layout_ok, gravity, gravity_handlers, database_connection = read_galaxy_yml(
        facts.get("galaxy_yml"), settings.get("galaxy_jobs_database_connection") or ""
    )
    if flag(facts.get("galaxy_yml_is_file")) and not layout_ok:
        problems.append(
            f"galaxy_jobs_galaxy_yml: '{galaxy_yml_path}' must be a mapping of sections (galaxy, gravity) with "
            "gravity.handlers a mapping of handler name to settings."
        )
    tpv_problem = _tpv_problem(settings.get("galaxy_jobs_tpv_configs", []))
    if tpv_problem:
        problems.append(tpv_problem)
    problems.extend(_monitor_sleep_problems(settings))
    celery_strategy, celery_problems = celery_metadata(settings, facts.get("galaxy_yml"), gravity, galaxy_yml_path)
    problems.extend(celery_problems)

    summary = _summary(conf)
    drmaa_runners = list(summary.get("drmaa_runners") or [])
    uses_drmaa = bool(drmaa_runners)
    library = library_method(settings, conf)

    if uses_drmaa and library == "gravity" and _conf_handlers(conf):
        problems.append(
            "galaxy_jobs_drmaa_library_path_method gravity: galaxy_jobs_conf defines handling.processes, which gravity "
            "starts from the job conf with the environment given there, not from gravity.handlers. Use runner_param "
            "(or auto), or define the handlers in galaxy.yml's gravity.handlers instead."
        )
    for runner, path in sorted((summary.get("drmaa_library_paths") or {}).items()):
        if path != library_path:
            problems.append(
                f"galaxy_jobs_conf.runners.{runner}.drmaa_library_path: '{path}' differs from "
                f"galaxy_jobs_drmaa_library_path '{library_path}'. Galaxy's runner param overrides DRMAA_LIBRARY_PATH; "
                "drop the param or make the two agree."
            )
    # A wrong library path kills the handler's runner thread while Galaxy's API keeps answering. In check mode
    # the library may be one that an earlier role of the same play has not installed yet.
    if uses_drmaa and not flag(facts.get("check_mode")) and not flag(facts.get("libdrmaa_exists")):
        problems.append(
            f"galaxy_jobs_drmaa_library_path: '{library_path}' does not exist on {host}, but the job conf has DRMAA "
            f"runners ({', '.join(drmaa_runners)}). Install slurm-drmaa first (gxhpc.cluster.slurm_drmaa) or name the "
            "library."
        )
    if not flag(facts.get("venv_python_exists")):
        problems.append(
            f"galaxy_jobs_venv: '{venv}' has no bin/python on {host}; name Galaxy's virtualenv (galaxyproject.galaxy: "
            "galaxy_venv_dir). The drmaa package goes there, and the handlers' VIRTUAL_ENV must be it."
        )
    if manager == "gravity" and manage_galaxy_yml and (gravity.get("virtualenv") or venv) != venv:
        problems.append(
            f"galaxy_jobs_venv: '{venv}' differs from gravity.virtualenv '{gravity.get('virtualenv')}' in "
            f"{galaxy_yml_path}; both name Galaxy's virtualenv, make them agree."
        )
    # Without gravity handlers the web workers run jobs, so they get the environment; gravity allows several
    # gunicorn sections (a list), which cannot be merged into safely.
    if (
        uses_drmaa
        and library == "gravity"
        and manage_galaxy_yml
        and not gravity_handlers
        and not isinstance(gravity.get("gunicorn") or {}, dict)
    ):
        problems.append(
            f"galaxy_jobs_drmaa_library_path_method gravity: {galaxy_yml_path} defines no gravity.handlers and several "
            "gunicorn sections, so there is no single place for DRMAA_LIBRARY_PATH; define handlers or use "
            "galaxy_jobs_drmaa_library_path_method runner_param."
        )

    tpv_configs = settings.get("galaxy_jobs_tpv_configs") or []
    return {
        "problems": problems,
        "database_connection": database_connection,
        "gravity_handlers": gravity_handlers,
        "uses_drmaa": uses_drmaa,
        "drmaa_runners": drmaa_runners,
        "library_method": library,
        "install_drmaa": _choice(settings.get("galaxy_jobs_drmaa_install", "auto"), uses_drmaa),
        "install_tpv": _choice(
            settings.get("galaxy_jobs_tpv_install", "auto"), bool(summary.get("uses_tpv")) or bool(tpv_configs)
        ),
        "install_pulsar_lib": _choice(
            settings.get("galaxy_jobs_pulsar_galaxy_lib_install", "auto"), bool(summary.get("pulsar_runners"))
        ),
        # The runner param the job conf gets, when that is how the handlers find libdrmaa.
        "runner_drmaa_library_path": library_path if (library == "runner_param" and uses_drmaa) else None,
        # The metadata_strategy the cluster runners' environments get (galaxy_jobs_metadata_celery), or None.
        "metadata_celery_strategy": celery_strategy,
        "galaxy_config": galaxy_settings(settings, library, uses_drmaa, gravity_handlers),
    }
