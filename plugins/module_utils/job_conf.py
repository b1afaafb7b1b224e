# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gxhpc.cluster developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Validate and render Galaxy job configurations (job_conf.yml and job_conf.xml).

The input is a dict in Galaxy's own YAML job-conf schema (lib/galaxy/config/schemas/job_config_schema.yml):
``runners``, ``handling``, ``execution`` (``default``, ``environments``), ``tools``, ``resources``, ``limits``.
Galaxy accepts many broken configurations at start-up and fails only when a job is dispatched, so
:func:`validate` checks what Galaxy's JobConfiguration and its runners would trip over, and reports every
error at once, each prefixed with its path (``execution.environments.big.runner: ...``).

Names and semantics follow Galaxy 26.1 (lib/galaxy/jobs/__init__.py, lib/galaxy/web_stack/handlers.py,
lib/galaxy/jobs/runners/*.py). Pure Python: no Ansible imports; PyYAML only for rendering YAML.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import difflib
import re
import xml.etree.ElementTree as ET  # noqa: S405 - builds XML, parses nothing
from urllib.parse import urlsplit

from ansible_collections.gxhpc.cluster.plugins.module_utils.urls import url_problem

try:
    import yaml

    HAS_YAML = True
except ImportError:  # pragma: no cover - depends on the managed host
    yaml = None
    HAS_YAML = False

# Runner classes shipped with Galaxy 26.1 (galaxy.jobs.runners.*), keyed by "<module>:<class>", mapped to the
# runner family whose parameter rules apply. tests/galaxy_parser checks this list against the installed Galaxy.
RUNNER_PREFIX = "galaxy.jobs.runners."
KNOWN_RUNNER_CLASSES = {
    "local:LocalJobRunner": "local",
    "drmaa:DRMAAJobRunner": "drmaa",
    "slurm:SlurmJobRunner": "slurm",
    "univa:UnivaJobRunner": "univa",
    "pbs:PBSJobRunner": "pbs",
    "condor:CondorJobRunner": "condor",
    "htcondor:HTCondorJobRunner": "htcondor",
    "cli:ShellJobRunner": "cli",
    "kubernetes:KubernetesJobRunner": "kubernetes",
    "aws:AWSBatchJobRunner": "aws_batch",
    "gcp_batch:GoogleCloudBatchJobRunner": "gcp_batch",
    "godocker:GodockerJobRunner": "godocker",
    "chronos:ChronosJobRunner": "chronos",
    "tasks:TaskedJobRunner": "tasks",
    "pulsar:PulsarLegacyJobRunner": "pulsar",
    "pulsar:PulsarRESTJobRunner": "pulsar",
    "pulsar:PulsarMQJobRunner": "pulsar",
    "pulsar:PulsarEmbeddedJobRunner": "pulsar",
    "pulsar:PulsarEmbeddedMQJobRunner": "pulsar",
    "pulsar:PulsarCoexecutionJobRunner": "pulsar",
    "pulsar:PulsarKubernetesJobRunner": "pulsar",
    "pulsar:PulsarTesJobRunner": "pulsar",
    "pulsar:PulsarGcpBatchJobRunner": "pulsar",
}
# A load string without ":" names a module; Galaxy then loads the classes in its __all__.
KNOWN_RUNNER_MODULES = {
    "local": "local",
    "drmaa": "drmaa",
    "slurm": "slurm",
    "univa": "univa",
    "pbs": "pbs",
    "condor": "condor",
    "htcondor": "htcondor",
    "cli": "cli",
    "kubernetes": "kubernetes",
    "aws": "aws_batch",
    "gcp_batch": "gcp_batch",
    "godocker": "godocker",
    "chronos": "chronos",
    "tasks": "tasks",
    "pulsar": "pulsar",
}
# Families whose runner talks to the DRM through the drmaa Python package (and so libdrmaa).
DRMAA_FAMILIES = ("drmaa", "slurm", "univa")
# Pulsar runners by transport (galaxy.jobs.runners.pulsar): REST destinations need a url (Galaxy raises
# "Pulsar destination does not define required parameter url") and, so that nobody else can run jobs
# through that Pulsar, a private_token; MQ runners an amqp_url and destinations a jobs_directory.
PULSAR_REST_CLASSES = ("PulsarRESTJobRunner", "PulsarLegacyJobRunner")
PULSAR_MQ_CLASSES = ("PulsarMQJobRunner",)
PULSAR_URL_SCHEMES = ("http", "https")
PULSAR_AMQP_SCHEMES = ("amqp", "amqps", "pyamqp")
# Environments may name these runners without defining them: Galaxy always provides the dynamic runner.
BUILTIN_RUNNERS = ("dynamic", "dynamic_tpv")

ASSIGN_METHODS = ("mem-self", "db-self", "db-preassign", "db-transaction-isolation", "db-skip-locked")
# Handlers self-assign with these methods: without a handler process no job ever leaves state "new".
SELF_ASSIGN_FROM_POOL = ("db-skip-locked", "db-transaction-isolation")
TOOL_CLASSES = ("local", "requires_galaxy", "user_defined")
# lib/galaxy/jobs/runners/util/cli/__init__.py: DEFAULT_SHELL_PLUGIN = "LocalShell"; job_plugin has no default.
CLI_DEFAULT_SHELL_PLUGIN = "LocalShell"
CLI_SHELL_PLUGINS = ("LocalShell", "RemoteShell", "SecureShell", "ParamikoShell", "GlobusSecureShell")
CLI_JOB_PLUGINS = ("Torque", "SlurmTorque", "Slurm", "LSF", "OpenPBS")
# Galaxy's DRMAA runner fills these job-template attributes itself (drmaa.py queue_job).
DRMAA_RESERVED = ("remoteCommand", "jobName", "outputPath", "errorPath")
# The PBS runner sets the job's output, error and name itself (pbs.py); both spellings are accepted there.
PBS_RESERVED = ("-o", "Output_Path", "-e", "Error_Path", "-N", "Job_Name")
AWS_BATCH_REQUIRED = ("job_queue", "job_role_arn", "efs_filesystem_id", "efs_mount_point")

# The dynamic runner's rule types (lib/galaxy/jobs/mapper.py: "python" and STOCK_RULES).
DYNAMIC_TYPES = ("python", "choose_one", "burst", "docker_dispatch", "dtd")
# Galaxy forces these params on a dynamic_tpv environment (_configure_from_dict).
TPV_FORCED = {"type": "python", "function": "map_tool_to_destination", "rules_module": "tpv.rules"}
TPV_CONFIG_KEYS = ("tpv_config_files", "tpv_configs")
PYTHON_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
PYTHON_MODULE_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")
# Characters XML 1.0 cannot carry, even escaped (Galaxy's XML parser refuses the file).
XML_ILLEGAL_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")

TOP_KEYS = ("runners", "handling", "execution", "tools", "resources", "limits", "dynamic")
HANDLING_KEYS = ("assign", "max_grab", "ready_window_size", "default", "processes")
HANDLER_KEYS = ("tags", "plugins", "environment")
RUNNER_RESERVED = ("load", "workers", "enabled", "id", "kwds")
# Keys of an environment that are not destination params (lib/galaxy/jobs/__init__.py _configure_from_dict).
ENVIRONMENT_ATTRIBUTES = ("id", "tags", "runner", "shell", "env", "resubmit")
ENV_KEYS = ("name", "raw", "value", "file", "execute")
RESUBMIT_KEYS = ("delay", "condition", "environment", "handler")
TOOL_ATTRIBUTES = ("id", "class", "handler", "environment", "resources", "params")
RESOURCES_KEYS = ("default", "groups")
LIMIT_KEYS = ("type", "value", "window", "id", "tag")
CONCURRENCY_LIMITS = ("registered_user_concurrent_jobs", "anonymous_user_concurrent_jobs")
ENVIRONMENT_LIMITS = (
    "environment_user_concurrent_jobs",
    "environment_total_concurrent_jobs",
    "destination_user_concurrent_jobs",
    "destination_total_concurrent_jobs",
    "concurrent_jobs",
)
LIMIT_TYPES = CONCURRENCY_LIMITS + ENVIRONMENT_LIMITS + ("walltime", "total_walltime", "output_size")
WALLTIME_RE = re.compile(r"^\d+:\d+:\d+$")
SIZE_RE = re.compile(r"^\s*(\d+\.?\d*|\.\d+)([eE]\d+)?\s*[A-Za-z]*\s*$")

YAML_HEADER = (
    "# Galaxy job configuration, written by Ansible (gxhpc.cluster.galaxy_job_conf): local edits are overwritten.\n"
)
XML_HEADER = (
    "Galaxy job configuration, written by Ansible (gxhpc.cluster.galaxy_job_conf): local edits are overwritten."
)


class JobConfValidationError(ValueError):
    """The configuration has errors; ``errors`` lists them all, each with its path."""

    def __init__(self, errors, warnings=None):
        self.errors = list(errors)
        self.warnings = list(warnings or [])
        super().__init__("; ".join(self.errors))


class JobConfRenderError(ValueError):
    """The configuration is valid but cannot be expressed in the requested format."""

    def __init__(self, errors):
        self.errors = list(errors)
        super().__init__("; ".join(self.errors))


def _type_name(value):
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return "str"
    if isinstance(value, dict):
        return "mapping"
    if isinstance(value, (list, tuple)):
        return "list"
    return type(value).__name__


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def _is_positive_int(value):
    """A positive integer, also as the text a job_conf.xml attribute would carry."""
    if _is_int(value):
        return value > 0
    return isinstance(value, str) and value.strip().isdigit() and int(value) > 0


def _truthy(value):
    """Galaxy's util.asbool."""
    return str(value).lower() in ("true", "yes", "on", "1")


def _listing(names):
    names = sorted(set(names))
    return ", ".join(names) if names else "none"


def _suggest(name, candidates):
    matches = difflib.get_close_matches(str(name), [str(c) for c in candidates], n=1)
    return " (did you mean '%s'?)" % matches[0] if matches else ""


def runner_family(load):
    """Return the runner family for a ``load`` string, or None for a runner Galaxy does not ship."""
    if not isinstance(load, str):
        return None
    load = load.strip()
    if ":" in load:
        module, cls = load.rsplit(":", 1)
        if module.startswith(RUNNER_PREFIX):
            return KNOWN_RUNNER_CLASSES.get("%s:%s" % (module[len(RUNNER_PREFIX) :], cls))
        return None
    if load.startswith(RUNNER_PREFIX):
        load = load[len(RUNNER_PREFIX) :]
    return KNOWN_RUNNER_MODULES.get(load)


def environment_items(execution):
    """Return ``[(id, environment_dict, path)]``; environments may be a mapping or a list of dicts with ``id``.

    A list item's path names its id (``execution.environments.big``) like the mapping form does; only an item
    without a usable id, or a second item with the same id, is named by its index.
    """
    environments = (execution or {}).get("environments") if isinstance(execution, dict) else None
    items = []
    if isinstance(environments, dict):
        for env_id, env in environments.items():
            items.append((env_id, env, "execution.environments.%s" % env_id))
    elif isinstance(environments, list):
        seen = set()
        for index, env in enumerate(environments):
            env_id = env.get("id") if isinstance(env, dict) else None
            if isinstance(env_id, str) and env_id and env_id not in seen:
                path = "execution.environments.%s" % env_id
            else:
                path = "execution.environments[%d]" % index
            if isinstance(env_id, str):
                seen.add(env_id)
            items.append((env_id, env, path))
    return items


def environment_params(env):
    """The destination params of an environment: its ``params`` mapping, or else its flat extra keys."""
    if not isinstance(env, dict):
        return {}
    if isinstance(env.get("params"), dict):
        return env["params"]
    return {k: v for k, v in env.items() if k not in ENVIRONMENT_ATTRIBUTES and k != "params"}


def runner_kwds(runner):
    """A runner's plugin params: its ``kwds`` mapping, or else every key but load/workers/id."""
    if not isinstance(runner, dict):
        return {}
    if isinstance(runner.get("kwds"), dict):
        return runner["kwds"]
    return {k: v for k, v in runner.items() if k not in ("id", "load", "workers", "kwds")}


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
            names.add("%s_%d" % (name, index))
            names.add("%s.%d" % (name, index))
        for pool in spec.get("pools") or []:
            pool = str(pool)
            names.add(pool)
            # a handler in pool "job-handlers.<tag>" serves jobs assigned to tag <tag>
            if pool.startswith("job-handlers."):
                names.add(pool[len("job-handlers.") :])
    return count, names


def secrets(config):
    """Paths in ``config`` that hold a secret: Pulsar private tokens and broker URLs with a password."""
    found = []
    if not isinstance(config, dict):
        return found
    runners = config.get("runners") if isinstance(config.get("runners"), dict) else {}
    for runner_id, runner in runners.items():
        kwds = runner_kwds(runner)
        url = kwds.get("amqp_url")
        try:
            if isinstance(url, str) and urlsplit(url).password:
                found.append("runners.%s.amqp_url" % runner_id)
        except ValueError:
            pass
    for _env_id, env, path in environment_items(config.get("execution")):
        params = environment_params(env) if isinstance(env, dict) else {}
        if params.get("private_token"):
            found.append("%s.private_token" % path)
    return found


def secret_values(config):
    """The secrets themselves (tokens, broker URLs with their passwords), for a module to mask in its output."""
    values = set()
    if not isinstance(config, dict):
        return values
    runners = config.get("runners") if isinstance(config.get("runners"), dict) else {}
    for runner in runners.values():
        url = runner_kwds(runner).get("amqp_url")
        try:
            password = urlsplit(url).password if isinstance(url, str) else None
        except ValueError:
            password = None
        if password:
            values.update([url, password])
    for _env_id, env, _path in environment_items(config.get("execution")):
        token = (environment_params(env) if isinstance(env, dict) else {}).get("private_token")
        if isinstance(token, str) and token:
            values.add(token)
    return values


def world_readable_secrets(config, mode):
    """An error when ``mode`` (octal string or int) lets every account read a job conf that holds secrets."""
    if mode is None:
        return None
    try:
        bits = int(mode, 8) if isinstance(mode, str) else int(mode)
    except ValueError:
        return None  # symbolic modes: left to the file module
    held = secrets(config)
    if not bits & 0o004 or not held:
        return None
    return (
        "mode: '%s' lets every account on the host read the job conf, which holds secrets (%s); "
        "give it a mode without read for others, such as 0640 (galaxy_jobs_conf_mode)" % (mode, ", ".join(held))
    )


class _Validator:
    def __init__(self, config, database_connection=None, gravity_handlers=None):
        self.config = config
        self.database_connection = database_connection
        self.gravity_handlers = gravity_handlers or {}
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
        self.gravity_count, self.gravity_names = gravity_handler_names(self.gravity_handlers)
        self.dynamic_rules_module = None
        if isinstance(config, dict):
            dynamic = config.get("dynamic")
            if not isinstance(dynamic, dict):
                runners = config.get("runners") if isinstance(config.get("runners"), dict) else {}
                dynamic = runners.get("dynamic")
            if isinstance(dynamic, dict):
                self.dynamic_rules_module = dynamic.get("rules_module")

    def error(self, path, message):
        self.errors.append("%s: %s" % (path, message))

    def warn(self, path, message):
        self.warnings.append("%s: %s" % (path, message))

    def expect(self, path, value, kinds, what):
        """Record a type error unless ``value`` is one of ``kinds`` (bool never counts as int)."""
        kinds = kinds if isinstance(kinds, tuple) else (kinds,)
        ok = isinstance(value, kinds) and not (isinstance(value, bool) and bool not in kinds)
        if not ok:
            self.error(path, "must be %s, got %s %r" % (what, _type_name(value), value))
        return ok

    def unknown_keys(self, path, mapping, allowed):
        for key in mapping:
            if key not in allowed:
                self.error(
                    "%s.%s" % (path, key) if path else str(key),
                    "unknown key%s (accepted: %s)" % (_suggest(key, allowed), ", ".join(allowed)),
                )

    def str_list(self, path, value):
        if not self.expect(path, value, list, "a list of strings"):
            return []
        good = []
        for index, item in enumerate(value):
            if self.expect("%s[%d]" % (path, index), item, str, "a string"):
                good.append(item)
        return good

    # -- sections -------------------------------------------------------------------------------------------

    def run(self):
        config = self.config
        if not isinstance(config, dict):
            self.error("config", "must be a mapping in Galaxy's job_conf.yml schema, got %s" % _type_name(config))
            return
        self.unknown_keys("", config, TOP_KEYS)
        self.check_runners(config.get("runners"))
        self.check_dynamic(config)
        self.check_handling(config.get("handling"))
        self.collect_environments(config.get("execution"))
        self.collect_resources(config.get("resources"))
        self.check_environments(config.get("execution"))
        self.check_tools(config.get("tools"))
        self.check_limits(config.get("limits"))
        self.check_drmaa_libraries(config)

    def check_drmaa_libraries(self, config):
        """The drmaa package loads one libdrmaa per process: a handler must not load runners that need two."""
        runners = config.get("runners") if isinstance(config.get("runners"), dict) else {}
        libraries = {}
        for runner_id, family in self.runner_families.items():
            if family in DRMAA_FAMILIES and runner_id not in self.disabled_runners:
                path = runner_kwds(runners.get(runner_id)).get("drmaa_library_path")
                # a runner without the param uses DRMAA_LIBRARY_PATH, which may well be the same library
                if isinstance(path, str) and path:
                    libraries[runner_id] = path
        if len(set(libraries.values())) < 2:
            return
        handling = config.get("handling") if isinstance(config.get("handling"), dict) else {}
        processes = handling.get("processes") if isinstance(handling.get("processes"), dict) else {}
        loads = {"handling.processes.%s" % h: (p or {}).get("plugins") for h, p in processes.items()}
        if not processes:
            loads = {"runners": None}
        for path, plugins in loads.items():
            loaded = {r: lib for r, lib in libraries.items() if not isinstance(plugins, list) or r in plugins}
            if len(set(loaded.values())) > 1:
                self.error(
                    path + (".plugins" if path != "runners" else ""),
                    "a handler would load DRMAA runners with different libraries (%s); the drmaa package loads "
                    "one libdrmaa per process, so give each its own handlers with plugins"
                    % ", ".join("%s: %s" % item for item in sorted(loaded.items())),
                )

    def check_runners(self, runners):
        if runners is None:
            self.error("runners", "is required: Galaxy reads job_conf['runners'] unconditionally")
            return
        if not self.expect("runners", runners, dict, "a mapping of runner id to runner"):
            return
        for runner_id, runner in runners.items():
            path = "runners.%s" % runner_id
            if runner is None:
                runner = {}
            if not self.expect(path, runner, dict, "a mapping"):
                continue
            if "enabled" in runner:
                if not self.expect(path + ".enabled", runner["enabled"], bool, "a boolean"):
                    pass
                elif not runner["enabled"]:
                    self.disabled_runners.add(runner_id)
            if "workers" in runner and not _is_positive_int(runner["workers"]):
                # Galaxy's YAML path hands workers to the runner as given: a string "8" raises TypeError at start
                self.error(path + ".workers", "must be a positive integer, got %r" % (runner["workers"],))
            if "kwds" in runner:
                self.expect(path + ".kwds", runner["kwds"], dict, "a mapping")
            if runner_id == "dynamic":
                # Galaxy treats runners.dynamic as the dynamic runner's params, never loads it.
                if "rules_module" in runner and self.expect(
                    path + ".rules_module", runner["rules_module"], str, "a string (a Python module)"
                ):
                    self.check_module_name(path + ".rules_module", runner["rules_module"])
                continue
            load = runner.get("load")
            if load is None:
                self.error(path + ".load", "is required (for example galaxy.jobs.runners.slurm:SlurmJobRunner)")
                self.runner_families[runner_id] = None
                continue
            if not self.expect(path + ".load", load, str, "a string"):
                self.runner_families[runner_id] = None
                continue
            family = runner_family(load)
            self.runner_families[runner_id] = family
            self.runner_classes[runner_id] = load.strip().rsplit(":", 1)[-1]
            if family is None:
                known = [RUNNER_PREFIX + k for k in KNOWN_RUNNER_CLASSES]
                suggestion = _suggest(load, known + list(KNOWN_RUNNER_MODULES))
                if load.strip().startswith(RUNNER_PREFIX):
                    # galaxy.jobs.runners is Galaxy's own package: its classes are known, a miss is a typo and
                    # the handler fails to start (ImportError / AttributeError)
                    self.error(
                        path + ".load",
                        "'%s' is not a runner class of Galaxy 26.1%s (galaxy.jobs.runners has: %s)"
                        % (load, suggestion, ", ".join(sorted(KNOWN_RUNNER_CLASSES))),
                    )
                else:
                    self.warn(
                        path + ".load",
                        "'%s' is not a runner shipped with Galaxy 26.1%s; fine if it is a site runner on Galaxy's path"
                        % (load, suggestion),
                    )
            kwds = runner_kwds(runner)
            if family in DRMAA_FAMILIES and "drmaa_library_path" in kwds:
                self.expect(path + ".drmaa_library_path", kwds["drmaa_library_path"], str, "a path")
            if family == "pulsar" and self.runner_classes[runner_id] in PULSAR_MQ_CLASSES:
                amqp_path = path + (".kwds" if isinstance(runner.get("kwds"), dict) else "") + ".amqp_url"
                problem = url_problem(kwds.get("amqp_url"), PULSAR_AMQP_SCHEMES)
                if problem:
                    self.error(amqp_path, "%s: the MQ runner meets Pulsar at this AMQP broker" % problem)

    def check_dynamic(self, config):
        """The dynamic runner's own params: top-level ``dynamic`` (or the older ``runners.dynamic``)."""
        runners = config.get("runners") if isinstance(config.get("runners"), dict) else {}
        if "dynamic" not in config:
            return
        dynamic = config["dynamic"]
        if not self.expect("dynamic", dynamic, dict, "a mapping of the dynamic runner's params (rules_module)"):
            return
        if "dynamic" in runners:
            self.error(
                "runners.dynamic",
                "is ignored by Galaxy because the top-level dynamic section is set; keep one",
            )
        if "rules_module" in dynamic and self.expect(
            "dynamic.rules_module", dynamic["rules_module"], str, "a string (a Python module)"
        ):
            self.check_module_name("dynamic.rules_module", dynamic["rules_module"])

    def check_module_name(self, path, name):
        if not PYTHON_MODULE_RE.match(name):
            self.error(path, "'%s' is not a Python module name (such as tpv.rules)" % name)

    def check_handling(self, handling):
        if handling is None:
            handling = {}
        if not self.expect("handling", handling, dict, "a mapping"):
            return
        self.unknown_keys("handling", handling, HANDLING_KEYS)
        processes = handling.get("processes") or {}
        if self.expect("handling.processes", processes, dict, "a mapping of handler id to handler"):
            for handler_id in processes:
                self.handler_ids.add(str(handler_id))
            for handler_id, handler in processes.items():
                path = "handling.processes.%s" % handler_id
                if handler is None:
                    continue
                if not self.expect(path, handler, dict, "a mapping"):
                    continue
                self.unknown_keys(path, handler, HANDLER_KEYS)
                if "tags" in handler:
                    for tag in self.str_list(path + ".tags", handler["tags"]):
                        if tag in self.handler_ids:
                            self.error(
                                path + ".tags", "'%s' is also a handler id; ids and tags share one namespace" % tag
                            )
                        self.handler_tags.add(tag)
                if "plugins" in handler:
                    for index, plugin in enumerate(self.str_list(path + ".plugins", handler["plugins"])):
                        if plugin not in self.runner_families:
                            self.error(
                                "%s.plugins[%d]" % (path, index),
                                "'%s' is not a defined runner (defined: %s)" % (plugin, _listing(self.runner_families)),
                            )
                if "environment" in handler:
                    self.expect(path + ".environment", handler["environment"], dict, "a mapping of variable to value")
        assign = handling.get("assign", [])
        methods = []
        if self.expect("handling.assign", assign, list, "a list of assignment methods"):
            for index, method in enumerate(assign):
                path = "handling.assign[%d]" % index
                if not self.expect(path, method, str, "a string"):
                    continue
                if method.lower() not in ASSIGN_METHODS:
                    self.error(
                        path,
                        "'%s' is not a handler assignment method%s (accepted: %s)"
                        % (method, _suggest(method, ASSIGN_METHODS), ", ".join(ASSIGN_METHODS)),
                    )
                methods.append(method.lower())
        for key in ("max_grab", "ready_window_size"):
            if key in handling and not _is_positive_int(handling[key]):
                self.error("handling.%s" % key, "must be a positive integer, got %r" % (handling[key],))
        pool_methods = [m for m in methods if m in SELF_ASSIGN_FROM_POOL]
        if pool_methods and not self.handler_ids and self.gravity_count == 0:
            self.error(
                "handling.assign",
                "%s needs job handler processes, but none are defined (neither handling.processes nor gravity "
                "handlers in galaxy.yml): every job would stay in state 'new'" % " and ".join(pool_methods),
            )
        # Handlers that no configured assignment method feeds sit idle while the web processes run every job.
        if methods and not pool_methods:
            if self.gravity_count and not self.handler_ids:
                self.warn(
                    "handling.assign",
                    "gravity starts %d handler process(es), but %s never assigns them jobs; add db-skip-locked "
                    "(or db-transaction-isolation)" % (self.gravity_count, ", ".join(methods)),
                )
            elif self.handler_ids and "db-preassign" not in methods:
                self.warn(
                    "handling.assign",
                    "handling.processes defines handlers, but %s never assigns them jobs; add db-skip-locked "
                    "or db-preassign" % ", ".join(methods),
                )
        database = self.database_connection if isinstance(self.database_connection, str) else ""
        if "db-skip-locked" in methods and database.strip().lower().startswith("sqlite"):
            self.error(
                "handling.assign",
                "db-skip-locked needs a database with SELECT ... FOR UPDATE SKIP LOCKED (PostgreSQL, MySQL 8); "
                "database_connection is SQLite",
            )
        if "default" in handling and self.expect("handling.default", handling["default"], str, "a string"):
            self.check_handler_ref("handling.default", handling["default"])

    def check_handler_ref(self, path, name):
        known = self.handler_ids | self.handler_tags | self.gravity_names
        if name not in known:
            self.error(
                path,
                "'%s' is not a defined handler id or tag%s (defined: %s)"
                % (name, _suggest(name, known), _listing(known)),
            )

    def collect_environments(self, execution):
        if execution is None:
            self.error("execution", "is required: Galaxy needs at least one environment to run jobs")
            return
        if not self.expect("execution", execution, dict, "a mapping"):
            return
        self.unknown_keys("execution", execution, ("default", "environments"))
        environments = execution.get("environments")
        if not environments:
            self.error("execution.environments", "must define at least one environment")
            return
        if not self.expect("execution.environments", environments, (dict, list), "a mapping of id to environment"):
            return
        seen = {}
        for env_id, env, path in environment_items(execution):
            if env_id is None or not isinstance(env_id, str) or not env_id:
                self.error(path + ".id", "each environment of a list needs a string id")
                continue
            if env_id in seen:
                self.error(path + ".id", "duplicate environment id '%s' (also %s)" % (env_id, seen[env_id]))
                continue
            seen[env_id] = path
            params = environment_params(env)
            if "enabled" in params and not _truthy(params["enabled"]):
                self.disabled_environments.add(env_id)
                continue
            self.environment_ids.add(env_id)
        for env_id, env, path in environment_items(execution):
            if isinstance(env, dict) and "tags" in env and env_id in self.environment_ids:
                tags = env["tags"]
                if isinstance(tags, list):
                    for tag in tags:
                        if isinstance(tag, str):
                            if tag in self.environment_ids:
                                self.error(
                                    path + ".tags",
                                    "'%s' is also an environment id; Galaxy would send jobs for '%s' to this "
                                    "environment too" % (tag, tag),
                                )
                            self.environment_tags.add(tag)

    def collect_resources(self, resources):
        if resources is None:
            return
        if not self.expect("resources", resources, dict, "a mapping"):
            return
        self.unknown_keys("resources", resources, RESOURCES_KEYS)
        groups = resources.get("groups") or {}
        if self.expect("resources.groups", groups, dict, "a mapping of group id to a list of parameter names"):
            for group_id, fields in groups.items():
                self.resource_groups.add(group_id)
                self.str_list("resources.groups.%s" % group_id, fields if fields is not None else [])
        default = resources.get("default")
        valid_default = "default" in resources and self.expect("resources.default", default, str, "a string")
        if valid_default and default not in self.resource_groups:
            self.error(
                "resources.default",
                "'%s' is not a defined resource group (defined: %s)" % (default, _listing(self.resource_groups)),
            )

    def check_environment_ref(self, path, name):
        known = self.environment_ids | self.environment_tags
        if name in self.disabled_environments:
            self.error(path, "'%s' is a disabled environment (enabled: false)" % name)
        elif name not in known:
            self.error(
                path,
                "'%s' is not a defined environment id or tag%s (defined: %s)"
                % (name, _suggest(name, known), _listing(known)),
            )

    def check_environments(self, execution):
        if not isinstance(execution, dict):
            return
        items = environment_items(execution)
        default = execution.get("default")
        if default is not None:
            if self.expect("execution.default", default, str, "a string"):
                self.check_environment_ref("execution.default", default)
        elif len(self.environment_ids | self.environment_tags) > 1:
            self.error(
                "execution.default",
                # Galaxy picks a default only when exactly one environment id or tag exists, else fails to start
                "is required when several environments are defined (ids and tags: %s)"
                % _listing(self.environment_ids | self.environment_tags),
            )
        for env_id, env, path in items:
            if env is None:
                env = {}
            if not self.expect(path, env, dict, "a mapping"):
                continue
            self.check_environment(env_id, env, path)

    def check_environment(self, env_id, env, path):
        runner = env.get("runner")
        family = None
        if runner is None:
            self.error(path + ".runner", "is required")
        elif self.expect(path + ".runner", runner, str, "a string"):
            if runner in BUILTIN_RUNNERS:
                family = "dynamic"
            elif runner in self.disabled_runners:
                self.error(path + ".runner", "'%s' is a disabled runner (enabled: false)" % runner)
            elif runner not in self.runner_families:
                defined = [r for r in self.runner_families if r not in self.disabled_runners]
                self.error(
                    path + ".runner",
                    "'%s' is not a defined runner%s (defined: %s)"
                    % (runner, _suggest(runner, defined), _listing(defined)),
                )
            else:
                family = self.runner_families[runner]
        if "tags" in env:
            self.str_list(path + ".tags", env["tags"])
        for key in ("shell", "metadata_strategy", "tool_evaluation_strategy"):
            if key in env:
                self.expect("%s.%s" % (path, key), env[key], str, "a string")
        if "params" in env and self.expect(path + ".params", env["params"], dict, "a mapping"):
            ignored = [k for k in env if k not in ENVIRONMENT_ATTRIBUTES + ("params", "metrics")]
            if ignored:
                self.error(
                    path,
                    "Galaxy ignores %s because the environment has a params mapping; move them into params"
                    % ", ".join(sorted(ignored)),
                )
        if "env" in env:
            self.check_env_list(path + ".env", env["env"])
        if "resubmit" in env:
            self.check_resubmits(path + ".resubmit", env["resubmit"])
        params = environment_params(env)
        params_path = path + ".params" if isinstance(env.get("params"), dict) else path
        if family == "dynamic":
            self.check_dynamic_params(runner, params, params_path, env)
        if family == "pulsar":
            self.check_pulsar_params(self.runner_classes.get(runner), params, params_path)
        self.check_params(family, params, params_path)

    def check_pulsar_params(self, runner_class, params, path):
        if runner_class in PULSAR_REST_CLASSES:
            problem = url_problem(params.get("url"), PULSAR_URL_SCHEMES)
            if problem:
                self.error(path + ".url", "%s: the %s calls Pulsar at this URL" % (problem, runner_class))
            token = params.get("private_token")
            if not isinstance(token, str) or not token:
                self.error(
                    path + ".private_token",
                    "is required: Pulsar's app.yml private_token, without which anyone who reaches the URL runs jobs",
                )
        elif runner_class in PULSAR_MQ_CLASSES:
            if not isinstance(params.get("jobs_directory"), str) or not params["jobs_directory"].startswith("/"):
                self.error(
                    path + ".jobs_directory",
                    "is required by the %s: the absolute path of Pulsar's staging_directory on the cluster"
                    % runner_class,
                )
            for key in ("url", "private_token"):
                if key in params:
                    self.warn(
                        "%s.%s" % (path, key), "is ignored by the %s (it talks through the broker)" % runner_class
                    )

    def check_env_list(self, path, entries):
        if not self.expect(path, entries, list, "a list of {name, value} / {file} / {execute} mappings"):
            return
        for index, entry in enumerate(entries):
            item = "%s[%d]" % (path, index)
            if not self.expect(item, entry, dict, "a mapping"):
                continue
            self.unknown_keys(item, entry, ENV_KEYS)
            for key in ("name", "value", "file", "execute"):
                if key in entry and entry[key] is not None:
                    self.expect("%s.%s" % (item, key), entry[key], str, "a string (quote numbers)")
            if "raw" in entry:
                self.expect(item + ".raw", entry["raw"], bool, "a boolean")
            kinds = [k for k in ("value", "file", "execute") if entry.get(k) is not None]
            if len(kinds) != 1:
                self.error(item, "needs exactly one of value (with name), file or execute, got %s" % (kinds or "none"))
            elif kinds == ["value"] and not entry.get("name"):
                self.error(item + ".name", "is required with value")

    def check_resubmits(self, path, resubmits):
        if not self.expect(path, resubmits, list, "a list of mappings"):
            return
        for index, resubmit in enumerate(resubmits):
            item = "%s[%d]" % (path, index)
            if not self.expect(item, resubmit, dict, "a mapping"):
                continue
            self.unknown_keys(item, resubmit, RESUBMIT_KEYS)
            # Galaxy's job_config_xml_to_dict gives every key, null where the XML attribute is absent
            resubmit = {k: v for k, v in resubmit.items() if v is not None}
            if "condition" in resubmit:
                self.expect(item + ".condition", resubmit["condition"], str, "a string (a Python-like expression)")
            if "delay" in resubmit and not isinstance(resubmit["delay"], (str, int, float)):
                self.error(item + ".delay", "must be a number or an expression, got %s" % _type_name(resubmit["delay"]))
            if "environment" in resubmit and self.expect(
                item + ".environment", resubmit["environment"], str, "a string"
            ):
                self.check_environment_ref(item + ".environment", resubmit["environment"])
            if "handler" in resubmit and self.expect(item + ".handler", resubmit["handler"], str, "a string"):
                self.check_handler_ref(item + ".handler", resubmit["handler"])

    def check_dynamic_params(self, runner, params, path, env_keys=()):
        """Params of an environment on the dynamic runner (lib/galaxy/jobs/mapper.py) or on dynamic_tpv."""
        if runner == "dynamic_tpv":
            if "params" in env_keys:
                # _configure_from_dict sets type/function/rules_module as flat keys of the environment, which
                # Galaxy ignores when it has a params mapping: the job would go to galaxy.jobs.rules instead
                self.error(
                    path,
                    "Galaxy drops dynamic_tpv's rules (function map_tool_to_destination, rules_module tpv.rules) "
                    "when the environment has a params mapping; write its params as flat keys, or use runner: "
                    "dynamic with type, function and rules_module in params",
                )
            for key, forced in TPV_FORCED.items():
                if key in params and params[key] != forced:
                    self.error(
                        "%s.%s" % (path, key),
                        "Galaxy replaces it with '%s' on a dynamic_tpv environment; drop it" % forced,
                    )
            params = dict(params, **TPV_FORCED)
        rule_type = params.get("type", "python")
        if not self.expect(path + ".type", rule_type, str, "a string"):
            return
        if rule_type not in DYNAMIC_TYPES:
            self.error(
                path + ".type",
                "'%s' is not a dynamic rule type%s (accepted: %s)"
                % (rule_type, _suggest(rule_type, DYNAMIC_TYPES), ", ".join(DYNAMIC_TYPES)),
            )
            return
        if rule_type != "python":
            return
        function = params.get("function")
        function_ok = function is not None and self.expect(path + ".function", function, str, "a function name")
        if function_ok and not PYTHON_NAME_RE.match(function):
            self.error(path + ".function", "'%s' is not a Python function name" % function)
        rules_module = params.get("rules_module")
        if rules_module is not None and self.expect(
            path + ".rules_module", rules_module, str, "a string (a Python module)"
        ):
            self.check_module_name(path + ".rules_module", rules_module)
        if rules_module == "tpv.rules" or (rules_module is None and self.dynamic_rules_module == "tpv.rules"):
            self.check_tpv_params(params, path)

    def check_tpv_params(self, params, path):
        """TPV's gateway (tpv/rules/gateway.py map_tool_to_destination) needs exactly one of these."""
        given = [key for key in TPV_CONFIG_KEYS if params.get(key)]
        if len(given) != 1:
            self.error(
                path,
                "TPV needs exactly one of tpv_config_files (paths or URLs) or tpv_configs (inline), got %s"
                % (" and ".join(given) or "none"),
            )
        files = params.get("tpv_config_files")
        if files is not None:
            items = files if isinstance(files, list) else [files]
            for index, item in enumerate(items):
                item_path = path + ".tpv_config_files" + ("[%d]" % index if isinstance(files, list) else "")
                self.expect(item_path, item, str, "a path or URL of a TPV config file")
        configs = params.get("tpv_configs")
        if configs is not None and not isinstance(configs, (dict, list, str)):
            self.error(path + ".tpv_configs", "must be a TPV config mapping, or a list of them or of paths")

    def check_params(self, family, params, path):
        if "local_slots" in params and not _is_positive_int(params["local_slots"]):
            self.error(path + ".local_slots", "must be a positive integer, got %r" % (params["local_slots"],))
        if family in DRMAA_FAMILIES:
            for key in DRMAA_RESERVED:
                if key in params:
                    self.error(
                        "%s.%s" % (path, key),
                        "is set by Galaxy's DRMAA runner for every job and must not be given "
                        "(reserved: %s)" % ", ".join(DRMAA_RESERVED),
                    )
            for key in ("nativeSpecification", "native_specification"):
                if key in params and not isinstance(params[key], str):
                    self.error(
                        "%s.%s" % (path, key),
                        "must be a string of scheduler options, got %s %r" % (_type_name(params[key]), params[key]),
                    )
            if "nativeSpecification" in params and "native_specification" in params:
                self.error(
                    path + ".native_specification",
                    "is ignored because nativeSpecification is also set; keep one",
                )
        elif family == "pbs":
            for key in PBS_RESERVED:
                if key in params:
                    self.error(
                        "%s.%s" % (path, key),
                        "is set by Galaxy's PBS runner for every job and must not be given "
                        "(reserved: %s)" % ", ".join(PBS_RESERVED),
                    )
        elif family == "cli":
            for key, accepted in (("shell_plugin", CLI_SHELL_PLUGINS), ("job_plugin", CLI_JOB_PLUGINS)):
                value = params.get(key)
                if value is None and key == "shell_plugin":
                    continue  # Galaxy's cli runner defaults to CLI_DEFAULT_SHELL_PLUGIN
                if value is None:
                    self.error(
                        "%s.%s" % (path, key), "is required for the cli runner (accepted: %s)" % ", ".join(accepted)
                    )
                elif value not in accepted:
                    self.error(
                        "%s.%s" % (path, key),
                        "'%s' is not a cli %s plugin%s (accepted: %s)"
                        % (value, key.split("_", 1)[0], _suggest(value, accepted), ", ".join(accepted)),
                    )
            for key, value in params.items():
                if (key.startswith("shell_") or key.startswith("job_")) and isinstance(value, (dict, list)):
                    self.error("%s.%s" % (path, key), "must be a scalar: the cli runner passes it as a plugin argument")
        elif family == "aws_batch":
            if not _truthy(params.get("docker_enabled", False)):
                self.error(path + ".docker_enabled", "must be true: the AWS Batch runner runs every job in a container")
            for key in AWS_BATCH_REQUIRED:
                if not params.get(key):
                    self.error("%s.%s" % (path, key), "is required by the AWS Batch runner")
            auto_platform = _truthy(params.get("auto_platform", False))
            fargate = params.get("fargate_version")
            if auto_platform and not fargate:
                self.error(path + ".fargate_version", "is required when auto_platform is true")
            if auto_platform and isinstance(params.get("job_queue"), str) and "," not in params["job_queue"]:
                self.error(path + ".job_queue", "must name two queues 'FARGATE_QUEUE,EC2_QUEUE' with auto_platform")
            gpu = params.get("gpu", 0)
            if gpu not in (None, 0, "0", "") and (fargate or auto_platform):
                self.error(path + ".gpu", "GPUs are not available on Fargate: drop fargate_version/auto_platform")

    def check_tools(self, tools):
        if tools is None:
            return
        if not self.expect("tools", tools, list, "a list of tool mappings"):
            return
        seen = {}
        for index, tool in enumerate(tools):
            path = "tools[%d]" % index
            if not self.expect(path, tool, dict, "a mapping"):
                continue
            has_id, has_class = "id" in tool, "class" in tool
            if has_id == has_class:
                self.error(path, "needs exactly one of id or class")
                continue
            key = None
            if has_id and self.expect(path + ".id", tool["id"], str, "a string"):
                key = ("id", tool["id"].lower().rstrip("/"))
            if has_class and self.expect(path + ".class", tool["class"], str, "a string"):
                if tool["class"] not in TOOL_CLASSES:
                    self.error(
                        path + ".class",
                        "'%s' is not a tool class (accepted: %s)" % (tool["class"], ", ".join(TOOL_CLASSES)),
                    )
                key = ("class", tool["class"])
            if "environment" in tool and self.expect(path + ".environment", tool["environment"], str, "a string"):
                self.check_environment_ref(path + ".environment", tool["environment"])
            if "handler" in tool and self.expect(path + ".handler", tool["handler"], str, "a string"):
                self.check_handler_ref(path + ".handler", tool["handler"])
            group = tool.get("resources")
            valid_group = "resources" in tool and self.expect(path + ".resources", group, str, "a string")
            if valid_group and group not in self.resource_groups:
                self.error(
                    path + ".resources",
                    "'%s' is not a defined resource group (defined: %s)" % (group, _listing(self.resource_groups)),
                )
            if key is not None:
                params = tool.get("params") or {k: v for k, v in tool.items() if k not in TOOL_ATTRIBUTES}
                signature = (key, repr(sorted(params.items(), key=lambda kv: str(kv[0]))))
                if signature in seen:
                    self.error(
                        path,
                        "duplicate mapping for %s '%s' (same params as %s): Galaxy would never use this one"
                        % (key[0], key[1], seen[signature]),
                    )
                else:
                    seen[signature] = path

    def check_limits(self, limits):
        if limits is None:
            return
        if not self.expect("limits", limits, list, "a list of limit mappings"):
            return
        seen = {}
        for index, limit in enumerate(limits):
            path = "limits[%d]" % index
            if not self.expect(path, limit, dict, "a mapping"):
                continue
            self.unknown_keys(path, limit, LIMIT_KEYS)
            limit_type = limit.get("type")
            if not self.expect(path + ".type", limit_type, str, "a string"):
                continue
            if limit_type not in LIMIT_TYPES:
                self.error(
                    path + ".type",
                    "'%s' is not a limit type%s (accepted: %s)"
                    % (limit_type, _suggest(limit_type, LIMIT_TYPES), ", ".join(LIMIT_TYPES)),
                )
                continue
            for key in ("id", "tag"):
                if key in limit:
                    self.expect("%s.%s" % (path, key), limit[key], str, "a string")
            value = limit.get("value")
            target = None
            if limit_type in ENVIRONMENT_LIMITS:
                if "id" in limit and isinstance(limit["id"], str):
                    target = limit["id"]
                    if limit["id"] not in self.environment_ids:
                        self.error(
                            path + ".id",
                            "'%s' is not a defined environment id (defined: %s)"
                            % (limit["id"], _listing(self.environment_ids)),
                        )
                elif "tag" in limit and isinstance(limit["tag"], str):
                    target = limit["tag"]
                    self.check_environment_ref(path + ".tag", limit["tag"])
                else:
                    self.error(path, "%s needs an environment id or tag" % limit_type)
            if limit_type in CONCURRENCY_LIMITS + ENVIRONMENT_LIMITS:
                if not (_is_int(value) or (isinstance(value, str) and value.strip().isdigit())):
                    self.error(path + ".value", "must be a number of jobs, got %s %r" % (_type_name(value), value))
            elif limit_type in ("walltime", "total_walltime"):
                if not (isinstance(value, str) and WALLTIME_RE.match(value)):
                    self.error(path + ".value", "must be a walltime 'HH:MM:SS' (quoted), got %r" % (value,))
            elif limit_type == "output_size" and not (
                _is_int(value) or (isinstance(value, str) and SIZE_RE.match(value))
            ):
                self.error(path + ".value", "must be a size such as '10GB' or a number of bytes, got %r" % (value,))
            if limit_type == "total_walltime" and "window" not in limit:
                self.error(path + ".window", "is required for total_walltime (a number of days)")
            window = limit.get("window")
            # Galaxy reads int(window); job_config_xml_to_dict gives it as text ("30"), so digits are accepted
            # and written as an integer
            if "window" in limit and not _is_positive_int(window):
                self.error(
                    path + ".window", "must be a positive number of days, got %s %r" % (_type_name(window), window)
                )
            signature = (limit_type.replace("destination_", "environment_"), target)
            if signature in seen:
                self.error(
                    path,
                    "duplicate limit %s%s (also %s)"
                    % (limit_type, " for '%s'" % target if target else "", seen[signature]),
                )
            else:
                seen[signature] = path


def validate(config, database_connection=None, gravity_handlers=None):
    """Check a job configuration; return ``(errors, warnings)``, each a list of ``"path: message"`` strings.

    ``database_connection`` (Galaxy's, when known) enables the SQLite check; ``gravity_handlers`` (galaxy.yml's
    ``gravity.handlers``) counts the handler processes gravity starts and the names/pools jobs may be sent to.
    """
    validator = _Validator(config, database_connection, gravity_handlers)
    validator.run()
    return validator.errors, validator.warnings


def summarize(config):
    """What the role needs to know about a (valid) configuration.

    ``drmaa_runners``: ids of enabled runners that need the drmaa Python package and libdrmaa;
    ``drmaa_library_paths``: runner id to its ``drmaa_library_path`` param, where set;
    ``runner_families``: runner id to family (None for site runners);
    ``pulsar_runners``: ids of enabled Pulsar runners (Galaxy then needs pulsar-galaxy-lib);
    ``uses_tpv``: whether an environment routes jobs with TPV (``dynamic_tpv``, or the dynamic runner with
    ``rules_module: tpv.rules``, given there or in the top-level ``dynamic`` section), so Galaxy needs TPV.
    """
    families = {}
    drmaa = []
    pulsar = []
    paths = {}
    for runner_id, runner in ((config or {}).get("runners") or {}).items():
        runner = runner or {}
        if runner_id == "dynamic":
            continue
        family = runner_family(runner.get("load"))
        families[runner_id] = family
        if runner.get("enabled", True) is False:
            continue
        if family == "pulsar":
            pulsar.append(runner_id)
        if family in DRMAA_FAMILIES:
            drmaa.append(runner_id)
            kwds = runner_kwds(runner)
            if kwds.get("drmaa_library_path"):
                paths[runner_id] = kwds["drmaa_library_path"]
    dynamic = (config or {}).get("dynamic")
    if not isinstance(dynamic, dict):
        dynamic = runner_kwds(((config or {}).get("runners") or {}).get("dynamic"))
    uses_tpv = False
    for _env_id, env, _path in environment_items((config or {}).get("execution")):
        env = env if isinstance(env, dict) else {}
        params = environment_params(env)
        if env.get("runner") == "dynamic_tpv" or (
            env.get("runner") == "dynamic" and params.get("rules_module", dynamic.get("rules_module")) == "tpv.rules"
        ):
            uses_tpv = True
    return {
        "drmaa_runners": drmaa,
        "drmaa_library_paths": paths,
        "pulsar_runners": pulsar,
        "runner_families": families,
        "uses_tpv": uses_tpv,
    }


def with_drmaa_library_path(config, path):
    """A copy of ``config`` where every drmaa, slurm and univa runner without ``drmaa_library_path`` gets ``path``.

    Galaxy's DRMAA runner sets DRMAA_LIBRARY_PATH from this param before it imports the drmaa package, so the
    library reaches the handlers whatever starts them.
    """
    if not path or not isinstance(config, dict) or not isinstance(config.get("runners"), dict):
        return config
    result = dict(config)
    runners = {}
    for runner_id, runner in config["runners"].items():
        if runner_id != "dynamic" and isinstance(runner or {}, dict):
            runner = dict(runner or {})
            if runner_family(runner.get("load")) in DRMAA_FAMILIES:
                target = runner["kwds"] if isinstance(runner.get("kwds"), dict) else runner
                if not target.get("drmaa_library_path"):
                    if target is not runner:
                        target = runner["kwds"] = dict(target)
                    target["drmaa_library_path"] = path
        runners[runner_id] = runner
    result["runners"] = runners
    return result


# -- rendering ------------------------------------------------------------------------------------------------


def _as_int(value):
    """A digit string as the int Galaxy makes of it; anything else unchanged (validate() refuses the rest)."""
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return value


def galaxy_typed(config):
    """A copy of ``config`` whose numeric fields carry Galaxy's own types.

    Galaxy converts some fields with int() itself (max_grab, ready_window_size, limits) and hands others to
    Python as given: ``workers: "8"`` in job_conf.yml reaches the runner's thread pool as a string and the
    handler fails with TypeError. Digit strings (what job_config_xml_to_dict produces) become ints here, so
    both formats mean the same to every Galaxy code path.
    """
    if not isinstance(config, dict):
        return config
    result = copy.deepcopy(config)
    for runner in (result.get("runners") or {}).values() if isinstance(result.get("runners"), dict) else []:
        if isinstance(runner, dict) and "workers" in runner:
            runner["workers"] = _as_int(runner["workers"])
    handling = result.get("handling")
    if isinstance(handling, dict):
        for key in ("max_grab", "ready_window_size"):
            if key in handling:
                handling[key] = _as_int(handling[key])
    for limit in result.get("limits") or [] if isinstance(result.get("limits"), list) else []:
        if not isinstance(limit, dict):
            continue
        if "window" in limit:
            limit["window"] = _as_int(limit["window"])
        if limit.get("type") in CONCURRENCY_LIMITS + ENVIRONMENT_LIMITS and "value" in limit:
            limit["value"] = _as_int(limit["value"])
    return result


def render_yaml(config):
    """job_conf.yml text: the configuration as given (key order kept, numbers typed), under a header comment."""
    if not HAS_YAML:
        raise RuntimeError("PyYAML is required to render job_conf.yml")
    config = galaxy_typed(config)
    body = yaml.safe_dump(config, default_flow_style=False, sort_keys=False, allow_unicode=True, width=1000)
    return YAML_HEADER + body


def _xml_text(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    return str(value)


class _XmlRenderer:
    def __init__(self, config):
        self.config = config
        self.errors = []

    def error(self, path, message):
        self.errors.append("%s: %s" % (path, message))

    def add_params(self, parent, params, path):
        for key, value in params.items():
            if key in ("container", "container_override") and isinstance(value, list):
                param = ET.SubElement(parent, "param", id=str(key))
                for index, container in enumerate(value):
                    if not isinstance(container, dict) or "identifier" not in container:
                        self.error("%s.%s[%d]" % (path, key, index), "needs an identifier to be expressed in XML")
                        continue
                    attrs = {
                        k: _xml_text(v) for k, v in container.items() if k in ("type", "shell", "resolve_dependencies")
                    }
                    extra = [k for k in container if k not in ("type", "shell", "resolve_dependencies", "identifier")]
                    if extra:
                        self.error(
                            "%s.%s[%d]" % (path, key, index), "keys %s cannot be expressed in XML" % ", ".join(extra)
                        )
                    element = ET.SubElement(param, "container", attrs)
                    element.text = _xml_text(container["identifier"])
                continue
            if isinstance(value, (dict, list)):
                self.error(
                    "%s.%s" % (path, key),
                    "a %s cannot be expressed as a job_conf.xml param (text only); use format yaml" % _type_name(value),
                )
                continue
            param = ET.SubElement(parent, "param", id=str(key))
            param.text = _xml_text(value)

    def check_text(self, value, path):
        """Refuse what XML 1.0 cannot carry: Galaxy could not parse the file at all."""
        if isinstance(value, dict):
            for key, item in value.items():
                self.check_text(key, "%s.%s" % (path, key) if path else str(key))
                self.check_text(item, "%s.%s" % (path, key) if path else str(key))
        elif isinstance(value, (list, tuple)):
            for index, item in enumerate(value):
                self.check_text(item, "%s[%d]" % (path, index))
        elif isinstance(value, str):
            match = XML_ILLEGAL_RE.search(value)
            if match:
                self.error(
                    path or "config",
                    "contains the character %r, which XML 1.0 cannot carry (Galaxy could not parse the file); "
                    "use format yaml or drop it" % match.group(0),
                )

    def joined(self, items, path, strip):
        """Items joined with ',' as Galaxy's XML parser splits them again; refuse those that would change."""
        items = list(items or [])
        for index, item in enumerate(items):
            item = str(item)
            if "," in item or item == "" or (strip and item != item.strip()):
                self.error(
                    "%s[%d]" % (path, index),
                    "%r cannot be written to job_conf.xml: Galaxy splits the attribute on ','%s, so it would "
                    "mean something else; use format yaml" % (item, " and strips spaces" if strip else ""),
                )
        return ",".join(str(i) for i in items)

    def render(self):
        config = galaxy_typed(self.config)
        self.check_text(config, "")
        root = ET.Element("job_conf")
        root.append(ET.Comment(" %s " % XML_HEADER))

        plugins = ET.SubElement(root, "plugins")
        for runner_id, runner in (config.get("runners") or {}).items():
            runner = runner or {}
            attrs = {"id": str(runner_id), "type": "runner"}
            if runner.get("load") is not None:
                attrs["load"] = str(runner["load"])
            if runner.get("workers") is not None:
                attrs["workers"] = _xml_text(runner["workers"])
            plugin = ET.SubElement(plugins, "plugin", attrs)
            self.add_params(plugin, runner_kwds(runner), "runners.%s" % runner_id)
        if isinstance(config.get("dynamic"), dict):
            # job_config_xml_to_dict reads a <plugin id="dynamic" type="runner"> without load as "dynamic"
            plugin = ET.SubElement(plugins, "plugin", {"id": "dynamic", "type": "runner"})
            self.add_params(plugin, config["dynamic"], "dynamic")

        handling = config.get("handling") or {}
        if handling:
            attrs = {}
            if handling.get("assign"):
                attrs["assign_with"] = ",".join(handling["assign"])
            for key in ("max_grab", "ready_window_size", "default"):
                if handling.get(key) is not None:
                    attrs[key] = _xml_text(handling[key])
            handlers = ET.SubElement(root, "handlers", attrs)
            for handler_id, handler in (handling.get("processes") or {}).items():
                handler = handler or {}
                attrs = {"id": str(handler_id)}
                if handler.get("tags"):
                    attrs["tags"] = self.joined(handler["tags"], "handling.processes.%s.tags" % handler_id, True)
                element = ET.SubElement(handlers, "handler", attrs)
                for plugin_id in handler.get("plugins") or []:
                    ET.SubElement(element, "plugin", id=str(plugin_id))
                if handler.get("environment"):
                    self.error(
                        "handling.processes.%s.environment" % handler_id,
                        "cannot be expressed in job_conf.xml; use format yaml",
                    )

        execution = config.get("execution") or {}
        attrs = {}
        if execution.get("default") is not None:
            attrs["default"] = str(execution["default"])
        destinations = ET.SubElement(root, "destinations", attrs)
        for env_id, env, path in environment_items(execution):
            env = env or {}
            attrs = {"id": str(env_id), "runner": str(env.get("runner"))}
            tpv_forced = {}
            if env.get("runner") == "dynamic_tpv":
                # Galaxy's XML path puts params in a params mapping, where dynamic_tpv's forced rules are lost;
                # say them explicitly on the dynamic runner, which is what dynamic_tpv means
                attrs["runner"] = "dynamic"
                tpv_forced = dict(TPV_FORCED)
            if env.get("tags"):
                attrs["tags"] = self.joined(env["tags"], path + ".tags", True)
            metrics = env.get("metrics")
            params = dict(environment_params(env), **tpv_forced)
            params.pop("metrics", None)
            if isinstance(metrics, dict) and metrics.get("src") == "disabled":
                attrs["metrics"] = "false"
            elif isinstance(metrics, dict) and metrics.get("src") == "path" and metrics.get("path"):
                attrs["metrics"] = str(metrics["path"])
            elif metrics is not None and not (isinstance(metrics, dict) and metrics.get("src", "default") == "default"):
                self.error(path + ".metrics", "only {src: default|disabled|path} can be expressed in job_conf.xml")
            if env.get("shell") is not None:
                self.error(path + ".shell", "Galaxy's XML parser ignores a destination's shell; use format yaml")
            destination = ET.SubElement(destinations, "destination", attrs)
            # Galaxy's XML parser turns docker_sudo on when a destination leaves it out; the YAML parser does not.
            # Saying false keeps the XML form meaning what the YAML form means.
            if "docker_sudo" not in params:
                params["docker_sudo"] = False
            self.add_params(destination, params, path)
            for entry in env.get("env") or []:
                attrs = {}
                if entry.get("name") is not None:
                    attrs["id"] = str(entry["name"])
                if entry.get("file") is not None:
                    attrs["file"] = str(entry["file"])
                if entry.get("execute") is not None:
                    attrs["exec"] = str(entry["execute"])
                if entry.get("raw"):
                    attrs["raw"] = "true"
                element = ET.SubElement(destination, "env", attrs)
                if entry.get("value") is not None:
                    element.text = _xml_text(entry["value"])
            for resubmit in env.get("resubmit") or []:
                attrs = {}
                for key, attr in (("condition", "condition"), ("environment", "destination"), ("handler", "handler")):
                    if resubmit.get(key) is not None:
                        attrs[attr] = str(resubmit[key])
                if resubmit.get("delay") is not None:
                    attrs["delay"] = _xml_text(resubmit["delay"])
                ET.SubElement(destination, "resubmit", attrs)

        resources = config.get("resources") or {}
        if resources:
            attrs = {}
            if resources.get("default") is not None:
                attrs["default"] = str(resources["default"])
            element = ET.SubElement(root, "resources", attrs)
            for group_id, fields in (resources.get("groups") or {}).items():
                group = ET.SubElement(element, "group", id=str(group_id))
                group.text = self.joined(fields, "resources.groups.%s" % group_id, True)

        tools = config.get("tools") or []
        if tools:
            element = ET.SubElement(root, "tools")
            for index, tool in enumerate(tools):
                attrs = {}
                for key, attr in (
                    ("id", "id"),
                    ("class", "class"),
                    ("handler", "handler"),
                    ("environment", "destination"),
                    ("resources", "resources"),
                ):
                    if tool.get(key) is not None:
                        attrs[attr] = str(tool[key])
                tool_element = ET.SubElement(element, "tool", attrs)
                params = tool.get("params") or {k: v for k, v in tool.items() if k not in TOOL_ATTRIBUTES}
                self.add_params(tool_element, params, "tools[%d]" % index)

        limits = config.get("limits") or []
        if limits:
            element = ET.SubElement(root, "limits")
            for limit in limits:
                limit_type = limit["type"]
                # Galaxy before 21.01 only knows the destination_* spelling; 21.01 and later read both.
                if limit_type.startswith("environment_"):
                    limit_type = "destination_" + limit_type[len("environment_") :]
                attrs = {"type": limit_type}
                for key in ("id", "tag", "window"):
                    if limit.get(key) is not None:
                        attrs[key] = _xml_text(limit[key])
                limit_element = ET.SubElement(element, "limit", attrs)
                limit_element.text = _xml_text(limit.get("value"))

        if self.errors:
            raise JobConfRenderError(self.errors)
        _indent(root)
        return '<?xml version="1.0"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _indent(element, level=0):
    """Pretty-print in place (ElementTree.indent needs Python 3.9; this works everywhere)."""
    pad = "\n" + "    " * level
    children = list(element)
    if children:
        if not (element.text and element.text.strip()):
            element.text = pad + "    "
        for child in children:
            _indent(child, level + 1)
            if not (child.tail and child.tail.strip()):
                child.tail = pad + "    "
        children[-1].tail = pad


def render_xml(config):
    """job_conf.xml text for Galaxy releases that read only XML; raises JobConfRenderError for YAML-only features."""
    return _XmlRenderer(config).render()


def format_for_path(path):
    """The format Galaxy will parse ``path`` as: it treats any job_config_file containing '.xml' as XML."""
    return "xml" if ".xml" in str(path) else "yaml"


def render(config, fmt):
    if fmt == "xml":
        return render_xml(config)
    if fmt == "yaml":
        return render_yaml(config)
    raise ValueError("format must be yaml or xml, got %r" % (fmt,))
