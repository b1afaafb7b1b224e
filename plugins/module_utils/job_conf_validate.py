# Copyright: gxhpc.cluster contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Check a Galaxy job configuration the way Galaxy would trip over it, reporting every error at once.

Galaxy accepts many broken configurations at start-up and fails only when a job is dispatched, so
:func:`validate` checks what Galaxy's JobConfiguration and its runners would trip over, each error prefixed
with its path (``execution.environments.big.runner: ...``). One function per group of checks, run in the
order of :data:`SECTIONS`: the early ones also collect the names (runner, handler and environment ids and
tags, resource groups) that the later ones check references against, in a :class:`_Checks`.

Names and semantics follow Galaxy 26.1 (lib/galaxy/jobs/__init__.py, lib/galaxy/web_stack/handlers.py,
lib/galaxy/jobs/runners/*.py); what the schema holds is in job_conf_schema. No Ansible imports.
"""

import difflib

from ansible_collections.gxhpc.cluster.plugins.module_utils.job_conf_schema import (
    ASSIGN_METHODS,
    AWS_BATCH_REQUIRED,
    BUILTIN_RUNNERS,
    CLI_JOB_PLUGINS,
    CLI_SHELL_PLUGINS,
    CONCURRENCY_LIMITS,
    DRMAA_FAMILIES,
    DRMAA_RESERVED,
    DYNAMIC_TYPES,
    ENV_KEYS,
    ENVIRONMENT_ATTRIBUTES,
    ENVIRONMENT_LIMITS,
    HANDLER_KEYS,
    HANDLING_KEYS,
    KNOWN_RUNNER_CLASSES,
    KNOWN_RUNNER_MODULES,
    LIMIT_KEYS,
    LIMIT_TYPES,
    PBS_RESERVED,
    PULSAR_AMQP_SCHEMES,
    PULSAR_MQ_CLASSES,
    PULSAR_REST_CLASSES,
    PULSAR_URL_SCHEMES,
    PYTHON_MODULE_RE,
    PYTHON_NAME_RE,
    RESOURCES_KEYS,
    RESUBMIT_KEYS,
    RUNNER_PREFIX,
    SELF_ASSIGN_FROM_POOL,
    SIZE_RE,
    TOOL_ATTRIBUTES,
    TOOL_CLASSES,
    TOP_KEYS,
    TPV_CONFIG_KEYS,
    TPV_FORCED,
    WALLTIME_RE,
    environment_items,
    environment_params,
    is_int,
    is_positive_int,
    runner_family,
    runner_kwds,
    truthy,
    type_name,
)
from ansible_collections.gxhpc.cluster.plugins.module_utils.urls import url_problem


def _listing(names):
    names = sorted(set(names))
    return ", ".join(names) if names else "none"


def _suggest(name, candidates):
    matches = difflib.get_close_matches(str(name), [str(c) for c in candidates], n=1)
    return f" (did you mean '{matches[0]}'?)" if matches else ""


def gravity_handler_names(gravity_handlers):
    """Process names and pool tags of the handlers gravity starts (galaxy.yml ``gravity.handlers``).

    Returns ``(count, names)``: how many handler processes run, and the names/tags a job conf may refer to.
    """
    count = 0
    names = set()
    for name, spec in (gravity_handlers or {}).items():
        spec = spec if isinstance(spec, dict) else {}
        processes = spec.get("processes", 1)
        try:
            processes = int(processes)
        except (TypeError, ValueError):
            processes = 1
        count += max(processes, 0)
        names.add(str(name))
        for index in range(max(processes, 0)):
            # gravity's default name_template gives "<name>_<n>"; a "{name}.{process}" template gives "<name>.<n>"
            names.add(f"{name}_{index}")
            names.add(f"{name}.{index}")
        for pool in spec.get("pools") or []:
            pool = str(pool)
            names.add(pool)
            # a handler in pool "job-handlers.<tag>" serves jobs assigned to tag <tag>
            if pool.startswith("job-handlers."):
                names.add(pool[len("job-handlers.") :])
    return count, names


class _Checks:
    """The errors and warnings found so far, and the names the sections define for later ones to refer to."""

    def __init__(self, config, database_connection=None, gravity_handlers=None):
        self.config = config
        self.database_connection = database_connection
        self.errors = []
        self.warnings = []
        self.runner_families = {}  # runner id -> family (None for a site runner)
        self.runner_classes = {}  # runner id -> class name of its load string
        self.disabled_runners = set()
        self.environment_ids = set()
        self.disabled_environments = set()
        self.environment_tags = set()
        self.handler_ids = set()
        self.handler_tags = set()
        self.resource_groups = set()
        self.gravity_count, self.gravity_names = gravity_handler_names(gravity_handlers or {})
        self.dynamic_rules_module = None
        if isinstance(config, dict):
            dynamic = config.get("dynamic")
            if not isinstance(dynamic, dict):
                runners = config.get("runners") if isinstance(config.get("runners"), dict) else {}
                dynamic = runners.get("dynamic")
            if isinstance(dynamic, dict):
                self.dynamic_rules_module = dynamic.get("rules_module")

    def error(self, path, message):
        self.errors.append(f"{path}: {message}")

    def warn(self, path, message):
        self.warnings.append(f"{path}: {message}")

    def expect(self, path, value, kinds, what):
        """Record a type error unless ``value`` is one of ``kinds`` (bool never counts as int)."""
        kinds = kinds if isinstance(kinds, tuple) else (kinds,)
        ok = isinstance(value, kinds) and not (isinstance(value, bool) and bool not in kinds)
        if not ok:
            self.error(path, f"must be {what}, got {type_name(value)} {value!r}")
        return ok

    def require(self, path, value, kinds, what, missing="is required"):
        """Record ``missing`` when ``value`` is None, else expect(); True when it is there and of ``kinds``."""
        if value is None:
            self.error(path, missing)
            return False
        return self.expect(path, value, kinds, what)

    def choice(self, path, value, accepted, what):
        """Record "'value' is not a <what> (did you mean ...?) (accepted: ...)" unless ``value`` is accepted."""
        if value in accepted:
            return True
        self.error(path, f"'{value}' is not a {what}{_suggest(value, accepted)} (accepted: {', '.join(accepted)})")
        return False

    def reserved(self, path, params, reserved, runner):
        """Record each of ``reserved`` that ``params`` gives: Galaxy's ``runner`` runner sets it for every job."""
        for key in reserved:
            if key in params:
                self.error(
                    f"{path}.{key}",
                    f"is set by Galaxy's {runner} runner for every job and must not be given "
                    f"(reserved: {', '.join(reserved)})",
                )

    def unknown_keys(self, path, mapping, allowed):
        for key in mapping:
            if key not in allowed:
                self.error(
                    f"{path}.{key}" if path else str(key),
                    f"unknown key{_suggest(key, allowed)} (accepted: {', '.join(allowed)})",
                )

    def str_list(self, path, value):
        if not self.expect(path, value, list, "a list of strings"):
            return []
        good = []
        for index, item in enumerate(value):
            if self.expect(f"{path}[{index}]", item, str, "a string"):
                good.append(item)
        return good

    def mappings(self, path, value, what):
        """Yield ``(path, item)`` for the mapping items of the list ``value``, recording type errors for the rest.

        A generator, so that each item's type error comes in order with the errors of the items around it.
        """
        if not self.expect(path, value, list, what):
            return
        for index, item in enumerate(value):
            if self.expect(f"{path}[{index}]", item, dict, "a mapping"):
                yield f"{path}[{index}]", item

    def module_name(self, path, name):
        if not PYTHON_MODULE_RE.match(name):
            self.error(path, f"'{name}' is not a Python module name (such as tpv.rules)")

    def handler_ref(self, path, name):
        known = self.handler_ids | self.handler_tags | self.gravity_names
        if name not in known:
            self.error(
                path,
                f"'{name}' is not a defined handler id or tag{_suggest(name, known)} (defined: {_listing(known)})",
            )

    def environment_ref(self, path, name):
        known = self.environment_ids | self.environment_tags
        if name in self.disabled_environments:
            self.error(path, f"'{name}' is a disabled environment (enabled: false)")
        elif name not in known:
            self.error(
                path,
                f"'{name}' is not a defined environment id or tag{_suggest(name, known)} (defined: {_listing(known)})",
            )


# -- runners ----------------------------------------------------------------------------------------------------


def check_runners(checks, config):
    runners = config.get("runners")
    missing = "is required: Galaxy reads job_conf['runners'] unconditionally"
    if not checks.require("runners", runners, dict, "a mapping of runner id to runner", missing):
        return
    for runner_id, runner in runners.items():
        path = f"runners.{runner_id}"
        if runner is None:
            runner = {}
        if checks.expect(path, runner, dict, "a mapping"):
            _check_runner(checks, runner_id, runner, path)


def _check_runner(checks, runner_id, runner, path):
    if "enabled" in runner:
        if not checks.expect(path + ".enabled", runner["enabled"], bool, "a boolean"):
            pass
        elif not runner["enabled"]:
            checks.disabled_runners.add(runner_id)
    if "workers" in runner and not is_positive_int(runner["workers"]):
        # Galaxy's YAML path hands workers to the runner as given: a string "8" raises TypeError at start
        checks.error(path + ".workers", f"must be a positive integer, got {runner['workers']!r}")
    if "kwds" in runner:
        checks.expect(path + ".kwds", runner["kwds"], dict, "a mapping")
    if runner_id == "dynamic":
        # Galaxy treats runners.dynamic as the dynamic runner's params, never loads it.
        if "rules_module" in runner and checks.expect(
            path + ".rules_module", runner["rules_module"], str, "a string (a Python module)"
        ):
            checks.module_name(path + ".rules_module", runner["rules_module"])
        return
    load = runner.get("load")
    missing = "is required (for example galaxy.jobs.runners.slurm:SlurmJobRunner)"
    if not checks.require(path + ".load", load, str, "a string", missing):
        checks.runner_families[runner_id] = None
        return
    family = runner_family(load)
    checks.runner_families[runner_id] = family
    checks.runner_classes[runner_id] = load.strip().rsplit(":", 1)[-1]
    if family is None:
        _check_unknown_load(checks, load, path + ".load")
    kwds = runner_kwds(runner)
    if family in DRMAA_FAMILIES and "drmaa_library_path" in kwds:
        checks.expect(path + ".drmaa_library_path", kwds["drmaa_library_path"], str, "a path")
    if family == "pulsar" and checks.runner_classes[runner_id] in PULSAR_MQ_CLASSES:
        check_pulsar_mq_runner(checks, runner, kwds, path)


def _check_unknown_load(checks, load, path):
    known = [RUNNER_PREFIX + k for k in KNOWN_RUNNER_CLASSES]
    suggestion = _suggest(load, known + list(KNOWN_RUNNER_MODULES))
    if load.strip().startswith(RUNNER_PREFIX):
        # galaxy.jobs.runners is Galaxy's own package: its classes are known, a miss is a typo and
        # the handler fails to start (ImportError / AttributeError)
        checks.error(
            path,
            f"'{load}' is not a runner class of Galaxy 26.1{suggestion} "
            f"(galaxy.jobs.runners has: {', '.join(sorted(KNOWN_RUNNER_CLASSES))})",
        )
    else:
        checks.warn(
            path,
            f"'{load}' is not a runner shipped with Galaxy 26.1{suggestion}; "
            "fine if it is a site runner on Galaxy's path",
        )


def check_dynamic(checks, config):
    """The dynamic runner's own params: top-level ``dynamic`` (or the older ``runners.dynamic``)."""
    runners = config.get("runners") if isinstance(config.get("runners"), dict) else {}
    if "dynamic" not in config:
        return
    dynamic = config["dynamic"]
    if not checks.expect("dynamic", dynamic, dict, "a mapping of the dynamic runner's params (rules_module)"):
        return
    if "dynamic" in runners:
        checks.error(
            "runners.dynamic",
            "is ignored by Galaxy because the top-level dynamic section is set; keep one",
        )
    if "rules_module" in dynamic and checks.expect(
        "dynamic.rules_module", dynamic["rules_module"], str, "a string (a Python module)"
    ):
        checks.module_name("dynamic.rules_module", dynamic["rules_module"])


def check_drmaa_libraries(checks, config):
    """The drmaa package loads one libdrmaa per process: a handler must not load runners that need two."""
    runners = config.get("runners") if isinstance(config.get("runners"), dict) else {}
    libraries = {}
    for runner_id, family in checks.runner_families.items():
        if family in DRMAA_FAMILIES and runner_id not in checks.disabled_runners:
            path = runner_kwds(runners.get(runner_id)).get("drmaa_library_path")
            # a runner without the param uses DRMAA_LIBRARY_PATH, which may well be the same library
            if isinstance(path, str) and path:
                libraries[runner_id] = path
    if len(set(libraries.values())) < 2:
        return
    handling = config.get("handling") if isinstance(config.get("handling"), dict) else {}
    processes = handling.get("processes") if isinstance(handling.get("processes"), dict) else {}
    loads = {f"handling.processes.{h}": (p or {}).get("plugins") for h, p in processes.items()}
    if not processes:
        loads = {"runners": None}
    for path, plugins in loads.items():
        loaded = {r: lib for r, lib in libraries.items() if not isinstance(plugins, list) or r in plugins}
        if len(set(loaded.values())) > 1:
            listed = ", ".join(f"{runner}: {library}" for runner, library in sorted(loaded.items()))
            checks.error(
                path + (".plugins" if path != "runners" else ""),
                f"a handler would load DRMAA runners with different libraries ({listed}); the drmaa package loads "
                "one libdrmaa per process, so give each its own handlers with plugins",
            )


# -- Pulsar -----------------------------------------------------------------------------------------------------


def check_pulsar_mq_runner(checks, runner, kwds, path):
    """An MQ runner meets Pulsar at an AMQP broker, so it needs the broker's URL; Pulsar needs Galaxy's.

    Over MQ, Pulsar fetches a job's inputs from Galaxy and sends its outputs back to the runner's galaxy_url
    (Pulsar's docs: "Must tell Pulsar where to send files"). Without it Galaxy sends galaxy_infrastructure_url,
    whose default (http://localhost:8080) is, seen from the cluster, Pulsar's own host: a warning, since
    galaxy.yml may set that well.
    """
    kwds_path = path + (".kwds" if isinstance(runner.get("kwds"), dict) else "")
    problem = url_problem(kwds.get("amqp_url"), PULSAR_AMQP_SCHEMES)
    if problem:
        checks.error(kwds_path + ".amqp_url", f"{problem}: the MQ runner meets Pulsar at this AMQP broker")
    if "galaxy_url" not in kwds:
        checks.warn(
            kwds_path + ".galaxy_url",
            "is not set: Pulsar then stages files to and from Galaxy's galaxy_infrastructure_url, by default "
            "http://localhost:8080 (Pulsar's own host); give the URL at which the cluster reaches Galaxy",
        )
    else:
        problem = url_problem(kwds.get("galaxy_url"), PULSAR_URL_SCHEMES)
        if problem:
            checks.error(kwds_path + ".galaxy_url", f"{problem}: Pulsar stages the job's files through this URL")


def check_pulsar_params(checks, runner_class, params, path):
    """A REST destination needs Pulsar's URL and private_token; an MQ destination Pulsar's staging directory.

    Galaxy raises "Pulsar destination does not define required parameter url" only at dispatch; without the
    private_token anybody who reaches the URL runs jobs through that Pulsar.
    """
    if runner_class in PULSAR_REST_CLASSES:
        problem = url_problem(params.get("url"), PULSAR_URL_SCHEMES)
        if problem:
            checks.error(path + ".url", f"{problem}: the {runner_class} calls Pulsar at this URL")
        token = params.get("private_token")
        if not isinstance(token, str) or not token:
            checks.error(
                path + ".private_token",
                "is required: Pulsar's app.yml private_token, without which anyone who reaches the URL runs jobs",
            )
    elif runner_class in PULSAR_MQ_CLASSES:
        if not isinstance(params.get("jobs_directory"), str) or not params["jobs_directory"].startswith("/"):
            checks.error(
                path + ".jobs_directory",
                f"is required by the {runner_class}: the absolute path of Pulsar's staging_directory on the cluster",
            )
        for key in ("url", "private_token"):
            if key in params:
                checks.warn(f"{path}.{key}", f"is ignored by the {runner_class} (it talks through the broker)")


# -- handling ---------------------------------------------------------------------------------------------------


def check_handling(checks, config):
    handling = config.get("handling")
    if handling is None:
        handling = {}
    if not checks.expect("handling", handling, dict, "a mapping"):
        return
    checks.unknown_keys("handling", handling, HANDLING_KEYS)
    processes = handling.get("processes") or {}
    if checks.expect("handling.processes", processes, dict, "a mapping of handler id to handler"):
        _check_handler_processes(checks, processes)
    methods = _check_assign(checks, handling.get("assign", []))
    for key in ("max_grab", "ready_window_size"):
        if key in handling and not is_positive_int(handling[key]):
            checks.error(f"handling.{key}", f"must be a positive integer, got {handling[key]!r}")
    _check_assign_meets_handlers(checks, methods)
    if "default" in handling and checks.expect("handling.default", handling["default"], str, "a string"):
        checks.handler_ref("handling.default", handling["default"])


def _check_handler_processes(checks, processes):
    for handler_id in processes:
        checks.handler_ids.add(str(handler_id))
    for handler_id, handler in processes.items():
        path = f"handling.processes.{handler_id}"
        if handler is None:
            continue
        if not checks.expect(path, handler, dict, "a mapping"):
            continue
        checks.unknown_keys(path, handler, HANDLER_KEYS)
        if "tags" in handler:
            for tag in checks.str_list(path + ".tags", handler["tags"]):
                if tag in checks.handler_ids:
                    checks.error(path + ".tags", f"'{tag}' is also a handler id; ids and tags share one namespace")
                checks.handler_tags.add(tag)
        if "plugins" in handler:
            for index, plugin in enumerate(checks.str_list(path + ".plugins", handler["plugins"])):
                if plugin not in checks.runner_families:
                    checks.error(
                        f"{path}.plugins[{index}]",
                        f"'{plugin}' is not a defined runner (defined: {_listing(checks.runner_families)})",
                    )
        if "environment" in handler:
            checks.expect(path + ".environment", handler["environment"], dict, "a mapping of variable to value")


def _check_assign(checks, assign):
    """The assignment methods, lower-cased as Galaxy reads them."""
    methods = []
    if checks.expect("handling.assign", assign, list, "a list of assignment methods"):
        for index, method in enumerate(assign):
            path = f"handling.assign[{index}]"
            if not checks.expect(path, method, str, "a string"):
                continue
            if method.lower() not in ASSIGN_METHODS:
                checks.choice(path, method, ASSIGN_METHODS, "handler assignment method")
            methods.append(method.lower())
    return methods


def _check_assign_meets_handlers(checks, methods):
    """Jobs reach a handler only when a method feeds it, and the methods need handlers and a database for it."""
    pool_methods = [m for m in methods if m in SELF_ASSIGN_FROM_POOL]
    if pool_methods and not checks.handler_ids and checks.gravity_count == 0:
        checks.error(
            "handling.assign",
            f"{' and '.join(pool_methods)} needs job handler processes, but none are defined (neither "
            "handling.processes nor gravity handlers in galaxy.yml): every job would stay in state 'new'",
        )
    # Handlers that no configured assignment method feeds sit idle while the web processes run every job.
    if methods and not pool_methods:
        if checks.gravity_count and not checks.handler_ids:
            checks.warn(
                "handling.assign",
                f"gravity starts {checks.gravity_count} handler process(es), but {', '.join(methods)} never assigns "
                "them jobs; add db-skip-locked (or db-transaction-isolation)",
            )
        elif checks.handler_ids and "db-preassign" not in methods:
            checks.warn(
                "handling.assign",
                f"handling.processes defines handlers, but {', '.join(methods)} never assigns them jobs; add "
                "db-skip-locked or db-preassign",
            )
    database = checks.database_connection if isinstance(checks.database_connection, str) else ""
    if "db-skip-locked" in methods and database.strip().lower().startswith("sqlite"):
        checks.error(
            "handling.assign",
            "db-skip-locked needs a database with SELECT ... FOR UPDATE SKIP LOCKED (PostgreSQL, MySQL 8); "
            "database_connection is SQLite",
        )


# -- environments and resources: the names later sections refer to ---------------------------------------------


def collect_environments(checks, config):
    execution = config.get("execution")
    missing = "is required: Galaxy needs at least one environment to run jobs"
    if not checks.require("execution", execution, dict, "a mapping", missing):
        return
    checks.unknown_keys("execution", execution, ("default", "environments"))
    environments = execution.get("environments")
    if not environments:
        checks.error("execution.environments", "must define at least one environment")
        return
    if not checks.expect("execution.environments", environments, (dict, list), "a mapping of id to environment"):
        return
    seen = {}
    for env_id, env, path in environment_items(execution):
        if env_id is None or not isinstance(env_id, str) or not env_id:
            checks.error(path + ".id", "each environment of a list needs a string id")
            continue
        if env_id in seen:
            checks.error(path + ".id", f"duplicate environment id '{env_id}' (also {seen[env_id]})")
            continue
        seen[env_id] = path
        params = environment_params(env)
        if "enabled" in params and not truthy(params["enabled"]):
            checks.disabled_environments.add(env_id)
            continue
        checks.environment_ids.add(env_id)
    for env_id, env, path in environment_items(execution):
        if isinstance(env, dict) and "tags" in env and env_id in checks.environment_ids:
            tags = env["tags"]
            if isinstance(tags, list):
                for tag in tags:
                    if isinstance(tag, str):
                        if tag in checks.environment_ids:
                            checks.error(
                                path + ".tags",
                                f"'{tag}' is also an environment id; Galaxy would send jobs for '{tag}' to this "
                                "environment too",
                            )
                        checks.environment_tags.add(tag)


def collect_resources(checks, config):
    resources = config.get("resources")
    if resources is None:
        return
    if not checks.expect("resources", resources, dict, "a mapping"):
        return
    checks.unknown_keys("resources", resources, RESOURCES_KEYS)
    groups = resources.get("groups") or {}
    if checks.expect("resources.groups", groups, dict, "a mapping of group id to a list of parameter names"):
        for group_id, fields in groups.items():
            checks.resource_groups.add(group_id)
            checks.str_list(f"resources.groups.{group_id}", fields if fields is not None else [])
    default = resources.get("default")
    valid_default = "default" in resources and checks.expect("resources.default", default, str, "a string")
    if valid_default and default not in checks.resource_groups:
        checks.error(
            "resources.default",
            f"'{default}' is not a defined resource group (defined: {_listing(checks.resource_groups)})",
        )


# -- environments -----------------------------------------------------------------------------------------------


def check_environments(checks, config):
    execution = config.get("execution")
    if not isinstance(execution, dict):
        return
    items = environment_items(execution)
    default = execution.get("default")
    if default is not None:
        if checks.expect("execution.default", default, str, "a string"):
            checks.environment_ref("execution.default", default)
    elif len(checks.environment_ids | checks.environment_tags) > 1:
        checks.error(
            "execution.default",
            # Galaxy picks a default only when exactly one environment id or tag exists, else fails to start
            "is required when several environments are defined "
            f"(ids and tags: {_listing(checks.environment_ids | checks.environment_tags)})",
        )
    for env_id, env, path in items:
        if env is None:
            env = {}
        if not checks.expect(path, env, dict, "a mapping"):
            continue
        check_environment(checks, env_id, env, path)


def check_environment(checks, env_id, env, path):
    runner = env.get("runner")
    family = _environment_family(checks, runner, path + ".runner")
    if "tags" in env:
        checks.str_list(path + ".tags", env["tags"])
    for key in ("shell", "metadata_strategy", "tool_evaluation_strategy"):
        if key in env:
            checks.expect(f"{path}.{key}", env[key], str, "a string")
    if "params" in env and checks.expect(path + ".params", env["params"], dict, "a mapping"):
        ignored = [k for k in env if k not in ENVIRONMENT_ATTRIBUTES + ("params", "metrics")]
        if ignored:
            checks.error(
                path,
                f"Galaxy ignores {', '.join(sorted(ignored))} because the environment has a params mapping; "
                "move them into params",
            )
    if "env" in env:
        check_env_list(checks, path + ".env", env["env"])
    if "resubmit" in env:
        check_resubmits(checks, path + ".resubmit", env["resubmit"])
    params = environment_params(env)
    params_path = path + ".params" if isinstance(env.get("params"), dict) else path
    if family == "dynamic":
        check_dynamic_params(checks, runner, params, params_path, env)
    if family == "pulsar":
        check_pulsar_params(checks, checks.runner_classes.get(runner), params, params_path)
    check_params(checks, family, params, params_path)


def _environment_family(checks, runner, path):
    """The family of the runner an environment names ("dynamic" for the built-in ones), or None."""
    if not checks.require(path, runner, str, "a string"):
        return None
    if runner in BUILTIN_RUNNERS:
        return "dynamic"
    if runner in checks.disabled_runners:
        checks.error(path, f"'{runner}' is a disabled runner (enabled: false)")
        return None
    if runner not in checks.runner_families:
        defined = [r for r in checks.runner_families if r not in checks.disabled_runners]
        checks.error(
            path,
            f"'{runner}' is not a defined runner{_suggest(runner, defined)} (defined: {_listing(defined)})",
        )
        return None
    return checks.runner_families[runner]


def check_env_list(checks, path, entries):
    for item, entry in checks.mappings(path, entries, "a list of {name, value} / {file} / {execute} mappings"):
        checks.unknown_keys(item, entry, ENV_KEYS)
        for key in ("name", "value", "file", "execute"):
            if key in entry and entry[key] is not None:
                checks.expect(f"{item}.{key}", entry[key], str, "a string (quote numbers)")
        if "raw" in entry:
            checks.expect(item + ".raw", entry["raw"], bool, "a boolean")
        kinds = [k for k in ("value", "file", "execute") if entry.get(k) is not None]
        if len(kinds) != 1:
            checks.error(item, f"needs exactly one of value (with name), file or execute, got {kinds or 'none'}")
        elif kinds == ["value"] and not entry.get("name"):
            checks.error(item + ".name", "is required with value")


def check_resubmits(checks, path, resubmits):
    for item, resubmit in checks.mappings(path, resubmits, "a list of mappings"):
        checks.unknown_keys(item, resubmit, RESUBMIT_KEYS)
        # Galaxy's job_config_xml_to_dict gives every key, null where the XML attribute is absent
        resubmit = {k: v for k, v in resubmit.items() if v is not None}
        if "condition" in resubmit:
            checks.expect(item + ".condition", resubmit["condition"], str, "a string (a Python-like expression)")
        if "delay" in resubmit and not isinstance(resubmit["delay"], (str, int, float)):
            checks.error(item + ".delay", f"must be a number or an expression, got {type_name(resubmit['delay'])}")
        if "environment" in resubmit and checks.expect(item + ".environment", resubmit["environment"], str, "a string"):
            checks.environment_ref(item + ".environment", resubmit["environment"])
        if "handler" in resubmit and checks.expect(item + ".handler", resubmit["handler"], str, "a string"):
            checks.handler_ref(item + ".handler", resubmit["handler"])


def check_dynamic_params(checks, runner, params, path, env_keys=()):
    """Params of an environment on the dynamic runner (lib/galaxy/jobs/mapper.py) or on dynamic_tpv."""
    if runner == "dynamic_tpv":
        if "params" in env_keys:
            # _configure_from_dict sets type/function/rules_module as flat keys of the environment, which
            # Galaxy ignores when it has a params mapping: the job would go to galaxy.jobs.rules instead
            checks.error(
                path,
                "Galaxy drops dynamic_tpv's rules (function map_tool_to_destination, rules_module tpv.rules) "
                "when the environment has a params mapping; write its params as flat keys, or use runner: "
                "dynamic with type, function and rules_module in params",
            )
        for key, forced in TPV_FORCED.items():
            if key in params and params[key] != forced:
                checks.error(
                    f"{path}.{key}", f"Galaxy replaces it with '{forced}' on a dynamic_tpv environment; drop it"
                )
        params = dict(params, **TPV_FORCED)
    rule_type = params.get("type", "python")
    if not checks.expect(path + ".type", rule_type, str, "a string"):
        return
    if not checks.choice(path + ".type", rule_type, DYNAMIC_TYPES, "dynamic rule type"):
        return
    if rule_type != "python":
        return
    function = params.get("function")
    function_ok = function is not None and checks.expect(path + ".function", function, str, "a function name")
    if function_ok and not PYTHON_NAME_RE.match(function):
        checks.error(path + ".function", f"'{function}' is not a Python function name")
    rules_module = params.get("rules_module")
    if rules_module is not None and checks.expect(
        path + ".rules_module", rules_module, str, "a string (a Python module)"
    ):
        checks.module_name(path + ".rules_module", rules_module)
    if rules_module == "tpv.rules" or (rules_module is None and checks.dynamic_rules_module == "tpv.rules"):
        check_tpv_params(checks, params, path)


def check_tpv_params(checks, params, path):
    """TPV's gateway (tpv/rules/gateway.py map_tool_to_destination) needs exactly one of these."""
    given = [key for key in TPV_CONFIG_KEYS if params.get(key)]
    if len(given) != 1:
        checks.error(
            path,
            "TPV needs exactly one of tpv_config_files (paths or URLs) or tpv_configs (inline), "
            f"got {' and '.join(given) or 'none'}",
        )
    files = params.get("tpv_config_files")
    if files is not None:
        items = files if isinstance(files, list) else [files]
        for index, item in enumerate(items):
            item_path = path + ".tpv_config_files" + (f"[{index}]" if isinstance(files, list) else "")
            checks.expect(item_path, item, str, "a path or URL of a TPV config file")
    configs = params.get("tpv_configs")
    if configs is not None and not isinstance(configs, (dict, list, str)):
        checks.error(path + ".tpv_configs", "must be a TPV config mapping, or a list of them or of paths")


# -- destination params, by runner family -----------------------------------------------------------------------


def check_params(checks, family, params, path):
    if "local_slots" in params and not is_positive_int(params["local_slots"]):
        checks.error(path + ".local_slots", f"must be a positive integer, got {params['local_slots']!r}")
    family_checks = FAMILY_PARAM_CHECKS.get("drmaa" if family in DRMAA_FAMILIES else family)
    if family_checks:
        family_checks(checks, params, path)


def _check_drmaa_params(checks, params, path):
    checks.reserved(path, params, DRMAA_RESERVED, "DRMAA")
    for key in ("nativeSpecification", "native_specification"):
        if key in params and not isinstance(params[key], str):
            checks.error(
                f"{path}.{key}",
                f"must be a string of scheduler options, got {type_name(params[key])} {params[key]!r}",
            )
    if "nativeSpecification" in params and "native_specification" in params:
        checks.error(
            path + ".native_specification",
            "is ignored because nativeSpecification is also set; keep one",
        )


def _check_pbs_params(checks, params, path):
    checks.reserved(path, params, PBS_RESERVED, "PBS")


def _check_cli_params(checks, params, path):
    for key, accepted in (("shell_plugin", CLI_SHELL_PLUGINS), ("job_plugin", CLI_JOB_PLUGINS)):
        value = params.get(key)
        if value is None and key == "shell_plugin":
            continue  # Galaxy's cli runner defaults to CLI_DEFAULT_SHELL_PLUGIN
        if value is None:
            checks.error(f"{path}.{key}", f"is required for the cli runner (accepted: {', '.join(accepted)})")
        else:
            checks.choice(f"{path}.{key}", value, accepted, f"cli {key.split('_', 1)[0]} plugin")
    for key, value in params.items():
        if (key.startswith("shell_") or key.startswith("job_")) and isinstance(value, (dict, list)):
            checks.error(f"{path}.{key}", "must be a scalar: the cli runner passes it as a plugin argument")


def _check_aws_batch_params(checks, params, path):
    if not truthy(params.get("docker_enabled", False)):
        checks.error(path + ".docker_enabled", "must be true: the AWS Batch runner runs every job in a container")
    for key in AWS_BATCH_REQUIRED:
        if not params.get(key):
            checks.error(f"{path}.{key}", "is required by the AWS Batch runner")
    auto_platform = truthy(params.get("auto_platform", False))
    fargate = params.get("fargate_version")
    if auto_platform and not fargate:
        checks.error(path + ".fargate_version", "is required when auto_platform is true")
    if auto_platform and isinstance(params.get("job_queue"), str) and "," not in params["job_queue"]:
        checks.error(path + ".job_queue", "must name two queues 'FARGATE_QUEUE,EC2_QUEUE' with auto_platform")
    gpu = params.get("gpu", 0)
    if gpu not in (None, 0, "0", "") and (fargate or auto_platform):
        checks.error(path + ".gpu", "GPUs are not available on Fargate: drop fargate_version/auto_platform")


# The destination-param rules of each runner family that has some (drmaa stands for DRMAA_FAMILIES).
FAMILY_PARAM_CHECKS = {
    "drmaa": _check_drmaa_params,
    "pbs": _check_pbs_params,
    "cli": _check_cli_params,
    "aws_batch": _check_aws_batch_params,
}


# -- tools ------------------------------------------------------------------------------------------------------


def _check_each(checks, config, section, what, check_item):
    """A list section (tools, limits): ``check_item`` sees each mapping, and in ``seen`` the items before it,
    since Galaxy uses only the first of two that say the same."""
    if config.get(section) is None:
        return
    seen = {}
    for path, item in checks.mappings(section, config[section], what):
        check_item(checks, item, path, seen)


def check_tools(checks, config):
    _check_each(checks, config, "tools", "a list of tool mappings", _check_tool)


def _check_tool(checks, tool, path, seen):
    """One tool mapping; ``seen`` maps the (id or class, params) already mapped to their paths."""
    has_id, has_class = "id" in tool, "class" in tool
    if has_id == has_class:
        checks.error(path, "needs exactly one of id or class")
        return
    key = None
    if has_id and checks.expect(path + ".id", tool["id"], str, "a string"):
        key = ("id", tool["id"].lower().rstrip("/"))
    if has_class and checks.expect(path + ".class", tool["class"], str, "a string"):
        if tool["class"] not in TOOL_CLASSES:
            checks.error(
                path + ".class",
                f"'{tool['class']}' is not a tool class (accepted: {', '.join(TOOL_CLASSES)})",
            )
        key = ("class", tool["class"])
    if "environment" in tool and checks.expect(path + ".environment", tool["environment"], str, "a string"):
        checks.environment_ref(path + ".environment", tool["environment"])
    if "handler" in tool and checks.expect(path + ".handler", tool["handler"], str, "a string"):
        checks.handler_ref(path + ".handler", tool["handler"])
    group = tool.get("resources")
    valid_group = "resources" in tool and checks.expect(path + ".resources", group, str, "a string")
    if valid_group and group not in checks.resource_groups:
        checks.error(
            path + ".resources",
            f"'{group}' is not a defined resource group (defined: {_listing(checks.resource_groups)})",
        )
    if key is not None:
        params = tool.get("params") or {k: v for k, v in tool.items() if k not in TOOL_ATTRIBUTES}
        signature = (key, repr(sorted(params.items(), key=lambda kv: str(kv[0]))))
        if signature in seen:
            checks.error(
                path,
                f"duplicate mapping for {key[0]} '{key[1]}' (same params as {seen[signature]}): "
                "Galaxy would never use this one",
            )
        else:
            seen[signature] = path


# -- limits -----------------------------------------------------------------------------------------------------


def check_limits(checks, config):
    _check_each(checks, config, "limits", "a list of limit mappings", _check_limit)


def _check_limit(checks, limit, path, seen):
    """One limit; ``seen`` maps the (type, target) already limited to their paths."""
    checks.unknown_keys(path, limit, LIMIT_KEYS)
    limit_type = limit.get("type")
    if not checks.expect(path + ".type", limit_type, str, "a string"):
        return
    if not checks.choice(path + ".type", limit_type, LIMIT_TYPES, "limit type"):
        return
    for key in ("id", "tag"):
        if key in limit:
            checks.expect(f"{path}.{key}", limit[key], str, "a string")
    target = _limit_target(checks, limit, limit_type, path) if limit_type in ENVIRONMENT_LIMITS else None
    _check_limit_value(checks, limit_type, limit.get("value"), path)
    if limit_type == "total_walltime" and "window" not in limit:
        checks.error(path + ".window", "is required for total_walltime (a number of days)")
    window = limit.get("window")
    # Galaxy reads int(window); job_config_xml_to_dict gives it as text ("30"), so digits are accepted
    # and written as an integer
    if "window" in limit and not is_positive_int(window):
        checks.error(path + ".window", f"must be a positive number of days, got {type_name(window)} {window!r}")
    signature = (limit_type.replace("destination_", "environment_"), target)
    if signature in seen:
        for_target = f" for '{target}'" if target else ""
        checks.error(path, f"duplicate limit {limit_type}{for_target} (also {seen[signature]})")
    else:
        seen[signature] = path


def _limit_target(checks, limit, limit_type, path):
    """The environment id or tag a per-environment limit applies to, or None."""
    if "id" in limit and isinstance(limit["id"], str):
        if limit["id"] not in checks.environment_ids:
            checks.error(
                path + ".id",
                f"'{limit['id']}' is not a defined environment id (defined: {_listing(checks.environment_ids)})",
            )
        return limit["id"]
    if "tag" in limit and isinstance(limit["tag"], str):
        checks.environment_ref(path + ".tag", limit["tag"])
        return limit["tag"]
    checks.error(path, f"{limit_type} needs an environment id or tag")
    return None


def _check_limit_value(checks, limit_type, value, path):
    if limit_type in CONCURRENCY_LIMITS + ENVIRONMENT_LIMITS:
        if not (is_int(value) or (isinstance(value, str) and value.strip().isdigit())):
            checks.error(path + ".value", f"must be a number of jobs, got {type_name(value)} {value!r}")
    elif limit_type in ("walltime", "total_walltime"):
        if not (isinstance(value, str) and WALLTIME_RE.match(value)):
            checks.error(path + ".value", f"must be a walltime 'HH:MM:SS' (quoted), got {value!r}")
    elif limit_type == "output_size" and not (is_int(value) or (isinstance(value, str) and SIZE_RE.match(value))):
        checks.error(path + ".value", f"must be a size such as '10GB' or a number of bytes, got {value!r}")


# The groups of checks in the order they run: runners, handling, environments and resources first, since the
# later ones refer to the ids and tags these collect.
SECTIONS = (
    check_runners,
    check_dynamic,
    check_handling,
    collect_environments,
    collect_resources,
    check_environments,
    check_tools,
    check_limits,
    check_drmaa_libraries,
)


def validate(config, database_connection=None, gravity_handlers=None):
    """Check a job configuration; return ``(errors, warnings)``, each a list of ``"path: message"`` strings.

    ``database_connection`` (Galaxy's, when known) enables the SQLite check; ``gravity_handlers`` (galaxy.yml's
    ``gravity.handlers``) counts the handler processes gravity starts and the names/pools jobs may be sent to.
    """
    checks = _Checks(config, database_connection, gravity_handlers)
    if not isinstance(config, dict):
        checks.error("config", f"must be a mapping in Galaxy's job_conf.yml schema, got {type_name(config)}")
        return checks.errors, checks.warnings
    checks.unknown_keys("", config, TOP_KEYS)
    for section in SECTIONS:
        section(checks, config)
    return checks.errors, checks.warnings
