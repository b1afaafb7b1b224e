# Copyright: gxhpc.cluster contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The pulsar role's plan: what is wrong with its variables, what goes into Pulsar's app.yml and
server.ini, which packages its virtualenv needs and the command systemd runs.

Read by the role's preflight and configure tasks (through the ``pulsar_plan`` filter). Pulsar's keys
are those of its app.yml.sample and docs/job_managers.rst (pulsar-app 0.16): ``staging_directory``,
``persistence_directory``, ``private_token``, ``message_queue_url`` and ``managers`` with a
``queued_drmaa`` or ``queued_cli`` manager named ``_default_``. No message here contains the token or
a password from the message queue URL.
"""

import re
from urllib.parse import urlsplit

from ansible_collections.gxhpc.cluster.plugins.module_utils.urls import url_problem

TRANSPORTS = ("rest", "mq")
MANAGERS = ("drmaa", "cli")
# Pulsar's manager types for each choice (docs/job_managers.rst).
MANAGER_TYPES = {"drmaa": "queued_drmaa", "cli": "queued_cli"}
# Job plugins of Pulsar's CLI manager that talk to Slurm (pulsar/managers/util/cli/job).
CLI_JOB_PLUGINS = ("Slurm", "SlurmTorque")
# kombu URL schemes for an AMQP broker such as RabbitMQ.
MQ_SCHEMES = ("amqp", "amqps", "pyamqp")
# Keys of app.yml this role writes itself; pulsar_app_config_extra may not set them.
OWNED_KEYS = ("staging_directory", "persistence_directory", "private_token", "message_queue_url", "managers")
# Accounts Pulsar must never run as: it would run every job of Galaxy's users with their rights.
DENIED_USERS = ("root", "daemon", "bin", "sys", "nobody", "galaxy", "slurm", "munge", "mysql", "www-data")
USER_NAME = re.compile(r"^[a-z_][a-z0-9_-]{0,31}$")
PATH_COMPONENT = re.compile(r"^[A-Za-z0-9_+@-][A-Za-z0-9._+@-]*$")
VERSION = re.compile(r"^[0-9]+(\.[0-9]+)*((a|b|rc)[0-9]+)?(\.post[0-9]+)?(\.dev[0-9]+)?$")
# A host (name, IPv4 or bracketless IPv6) gunicorn can bind.
BIND_HOST = re.compile(r"^[A-Za-z0-9.:_-]+$")
MIN_TOKEN_LENGTH = 16


def path_problem(value):
    """Why ``value`` is not a plain absolute path, or None."""
    if not isinstance(value, str) or not value.startswith("/"):
        return "must be an absolute path"
    parts = [p for p in value.split("/") if p]
    if "//" in value or not parts or not all(PATH_COMPONENT.fullmatch(p) for p in parts):
        return "must be an absolute path of plain components (no spaces, '..', '//' or shell characters)"
    return None


def _is_under(path, parent):
    return path == parent or path.startswith(parent.rstrip("/") + "/")


def url_has_password(url):
    try:
        return bool(isinstance(url, str) and urlsplit(url).password)
    except ValueError:
        return False


def problems(settings):
    """Every problem with the pulsar role's variables, each naming the variable and what is accepted."""
    found = []

    def bad(name, message):
        found.append(f"{name}: {message}.")

    def get(name, default=None):
        return settings.get(name, default)

    transport = get("pulsar_transport", "rest")
    if transport not in TRANSPORTS:
        bad("pulsar_transport", f"'{transport}' is not a transport; accepted: {', '.join(TRANSPORTS)}")
    manager = get("pulsar_manager", "drmaa")
    if manager not in MANAGERS:
        bad("pulsar_manager", f"'{manager}' is not a manager; accepted: {', '.join(MANAGERS)}")

    version = get("pulsar_version")
    if not isinstance(version, str) or not VERSION.fullmatch(version):
        bad("pulsar_version", f"{version!r} is not a release of pulsar-app such as 0.16.0 (it is pinned)")

    for name in ("pulsar_user", "pulsar_group"):
        value = get(name)
        if not isinstance(value, str) or not USER_NAME.fullmatch(value):
            bad(name, f"{value!r} is not an account name (lower case letters, digits, _ and -)")
        elif value in DENIED_USERS:
            bad(
                name,
                f"'{value}' is a system or service account; Pulsar runs every job it is sent with its rights, "
                f"so give it its own account (refused: {', '.join(DENIED_USERS)})",
            )

    paths = {}
    for name in (
        "pulsar_venv",
        "pulsar_config_dir",
        "pulsar_home",
        "pulsar_staging_directory",
        "pulsar_persistence_directory",
    ):
        value = get(name)
        problem = path_problem(value)
        if problem:
            bad(name, f"{value!r} {problem}")
        else:
            paths[name] = value
    # Pulsar's account writes staging and persistence: nothing it may write lies in root's code or config.
    for writable in ("pulsar_staging_directory", "pulsar_persistence_directory", "pulsar_home"):
        for owned_by_root in ("pulsar_venv", "pulsar_config_dir"):
            if writable not in paths or owned_by_root not in paths:
                continue
            first, second = paths[writable], paths[owned_by_root]
            if _is_under(first, second) or _is_under(second, first):
                bad(
                    writable,
                    f"'{first}' overlaps {owned_by_root} '{second}'; Pulsar's account "
                    "writes the one and must not be able to change the other",
                )

    token = get("pulsar_private_token", "")
    if transport == "rest":
        if not isinstance(token, str) or not token:
            bad(
                "pulsar_private_token",
                "must be set with pulsar_transport rest: without a token anyone who reaches the port runs jobs "
                f"as Pulsar's account (a random string of at least {MIN_TOKEN_LENGTH} characters, from a vault)",
            )
        elif len(token) < MIN_TOKEN_LENGTH or any(c.isspace() for c in token):
            bad(
                "pulsar_private_token",
                f"must be at least {MIN_TOKEN_LENGTH} characters without spaces (got {len(token)} characters)",
            )
        port = get("pulsar_port")
        if not isinstance(port, int) or isinstance(port, bool) or not 1 <= port <= 65535:
            bad("pulsar_port", f"{port!r} is not a TCP port (1-65535)")
        host = get("pulsar_bind_host")
        if not isinstance(host, str) or not BIND_HOST.fullmatch(host):
            bad("pulsar_bind_host", f"{host!r} is not a host name or address to listen on")
    mq_url = get("pulsar_message_queue_url", "")
    if transport == "mq":
        # The plan's own wording for a missing value; the shared check words the rest.
        problem = "must be set" if not mq_url else url_problem(mq_url, MQ_SCHEMES)
        if problem:
            bad("pulsar_message_queue_url", f"{problem} (pulsar_transport is mq)")
    elif mq_url:
        bad("pulsar_message_queue_url", "is set, but pulsar_transport is rest; set pulsar_transport: mq to use it")

    if manager == "drmaa":
        value = get("pulsar_drmaa_library_path")
        problem = path_problem(value)
        if problem:
            bad("pulsar_drmaa_library_path", f"{value!r} {problem} (the libdrmaa.so.1 of slurm-drmaa)")
        if not VERSION.fullmatch(str(get("pulsar_drmaa_version", ""))):
            bad("pulsar_drmaa_version", f"{get('pulsar_drmaa_version')!r} is not a release of drmaa such as 0.7.9")
    if manager == "cli" and get("pulsar_cli_job_plugin") not in CLI_JOB_PLUGINS:
        bad(
            "pulsar_cli_job_plugin",
            f"{get('pulsar_cli_job_plugin')!r} is not a Slurm job plugin of Pulsar; "
            f"accepted: {', '.join(CLI_JOB_PLUGINS)}",
        )
    spec = get("pulsar_native_specification", "")
    if not isinstance(spec, str) or "\n" in spec:
        bad("pulsar_native_specification", f"{spec!r} must be one line of sbatch options")

    options = get("pulsar_manager_options", {})
    if not isinstance(options, dict):
        bad("pulsar_manager_options", "must be a mapping of manager settings (min_polling_interval, ...)")
    elif "type" in options:
        bad("pulsar_manager_options", "must not set type: pulsar_manager chooses it")
    extra = get("pulsar_app_config_extra", {})
    if not isinstance(extra, dict):
        bad("pulsar_app_config_extra", "must be a mapping of app.yml settings")
    else:
        owned = sorted(set(extra) & set(OWNED_KEYS))
        if owned:
            bad(
                "pulsar_app_config_extra",
                f"sets {', '.join(owned)}, which this role writes from its own variables "
                "(pulsar_staging_directory, pulsar_persistence_directory, pulsar_private_token, "
                "pulsar_message_queue_url, pulsar_manager)",
            )
    return found


def app_config(settings):
    """Pulsar's app.yml as a mapping (holds the token or the broker URL: write it 0600, no_log)."""
    manager = settings.get("pulsar_manager", "drmaa")
    default_manager = {"type": MANAGER_TYPES.get(manager, manager)}
    if manager == "cli":
        default_manager.update({"job_plugin": settings.get("pulsar_cli_job_plugin"), "shell_plugin": "LocalShell"})
    if settings.get("pulsar_native_specification"):
        default_manager["native_specification"] = settings["pulsar_native_specification"]
    default_manager.update(settings.get("pulsar_manager_options") or {})
    config = dict(settings.get("pulsar_app_config_extra") or {})
    config.update(
        {
            "staging_directory": settings.get("pulsar_staging_directory"),
            "persistence_directory": settings.get("pulsar_persistence_directory"),
            "managers": {"_default_": default_manager},
        }
    )
    if settings.get("pulsar_transport", "rest") == "rest":
        config["private_token"] = settings.get("pulsar_private_token")
    else:
        config["message_queue_url"] = settings.get("pulsar_message_queue_url")
    return config


def server_ini(settings):
    """Pulsar's server.ini (read by pulsar-serve) as a mapping of section to settings."""
    return {
        "server:main": {"host": settings.get("pulsar_bind_host"), "port": str(settings.get("pulsar_port"))},
        "app:main": {"app_config": f"{settings.get('pulsar_config_dir')}/app.yml"},
    }


def pip_packages(settings):
    """What pip installs into Pulsar's virtualenv: pulsar-app with the extra its transport needs, drmaa."""
    extra = "web" if settings.get("pulsar_transport", "rest") == "rest" else "amqp"
    packages = [f"pulsar-app[{extra}]=={settings.get('pulsar_version')}"]
    if settings.get("pulsar_manager", "drmaa") == "drmaa":
        packages.append(f"drmaa=={settings.get('pulsar_drmaa_version')}")
    return packages


def exec_start(settings):
    """The command systemd runs: pulsar-serve (gunicorn) for REST, pulsar-main (no web server) for MQ."""
    venv = settings.get("pulsar_venv")
    config_dir = settings.get("pulsar_config_dir")
    if settings.get("pulsar_transport", "rest") == "rest":
        return f"{venv}/bin/pulsar-serve {config_dir}/server.ini"
    return f"{venv}/bin/pulsar-main --config_dir {config_dir} --app_conf_path {config_dir}/app.yml"


def plan(settings):
    """The whole plan; with problems, nothing else is computed."""
    found = problems(settings)
    if found:
        return {"problems": found}
    return {
        "problems": [],
        "app_config": app_config(settings),
        "server_ini": server_ini(settings),
        "pip_packages": pip_packages(settings),
        "exec_start": exec_start(settings),
    }
