# Copyright: gxhpc.cluster contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a Galaxy job configuration may contain, and how to read its parts.

The schema is Galaxy 26.1's YAML job conf (lib/galaxy/config/schemas/job_config_schema.yml, read by
lib/galaxy/jobs/__init__.py): the runner classes Galaxy ships and their families, the keys each section
accepts, the params each runner family reserves or needs. The readers (:func:`runner_family`,
:func:`runner_kwds`, :func:`environment_items`, :func:`environment_params`) take a part of a job conf the way
Galaxy does, for the checks (job_conf_validate), the renderers (job_conf_render) and the summary
(job_conf_summary) alike. Pure Python, no Ansible imports.
"""

import re

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

TOP_KEYS = ("runners", "handling", "execution", "tools", "resources", "limits", "dynamic")
HANDLING_KEYS = ("assign", "max_grab", "ready_window_size", "default", "processes")
HANDLER_KEYS = ("tags", "plugins", "environment")
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


def type_name(value):
    """The schema's word for a value's type, as error messages say it."""
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


def is_int(value):
    """An int that is not a bool (YAML's true is no number of workers)."""
    return isinstance(value, int) and not isinstance(value, bool)


def is_positive_int(value):
    """A positive integer, also as the text a job_conf.xml attribute would carry."""
    if is_int(value):
        return value > 0
    return isinstance(value, str) and value.strip().isdigit() and int(value) > 0


def truthy(value):
    """Galaxy's util.asbool."""
    return str(value).lower() in ("true", "yes", "on", "1")


def runner_family(load):
    """Return the runner family for a ``load`` string, or None for a runner Galaxy does not ship."""
    if not isinstance(load, str):
        return None
    load = load.strip()
    if ":" in load:
        module, cls = load.rsplit(":", 1)
        if module.startswith(RUNNER_PREFIX):
            return KNOWN_RUNNER_CLASSES.get(f"{module[len(RUNNER_PREFIX) :]}:{cls}")
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
            items.append((env_id, env, f"execution.environments.{env_id}"))
    elif isinstance(environments, list):
        seen = set()
        for index, env in enumerate(environments):
            env_id = env.get("id") if isinstance(env, dict) else None
            if isinstance(env_id, str) and env_id and env_id not in seen:
                path = f"execution.environments.{env_id}"
            else:
                path = f"execution.environments[{index}]"
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
