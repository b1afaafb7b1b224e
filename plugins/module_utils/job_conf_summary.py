# Copyright: gxhpc.cluster contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a module, a role or site.yml reads out of a job configuration, and the one change the role makes to it.

:func:`summarize` says which runners load libdrmaa, which are Pulsar's and whether TPV routes jobs (the
galaxy_jobs role and module_utils/site_plan.py decide what to install by it); :func:`secrets` and
:func:`secret_values` find Pulsar tokens and broker passwords, for the module to mask and to keep out of a
world-readable file; :func:`with_drmaa_library_path` gives every DRMAA runner the role's libdrmaa
(galaxy_jobs_drmaa_library_path); :func:`with_celery_metadata` moves the metadata step of the cluster runners'
jobs into Galaxy's Celery workers (galaxy_jobs_metadata_celery). No Ansible imports.
"""

from urllib.parse import urlsplit

from ansible_collections.gxhpc.cluster.plugins.module_utils.job_conf_schema import (
    DRMAA_FAMILIES,
    PULSAR_MQ_CLASSES,
    PULSAR_REST_CLASSES,
    environment_items,
    environment_params,
    runner_family,
    runner_kwds,
)


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


def pulsar_destinations(config):
    """What the readiness check tests of each environment that sends jobs to Pulsar over REST or MQ, in order.

    ``[{environment, runner, transport ('rest' | 'mq'), url, private_token, amqp_url, galaxy_url}]``, '' where a
    value is not set: a REST destination's ``url`` and ``private_token``; an MQ runner's ``amqp_url``; the
    ``galaxy_url`` Pulsar sends outputs to (the runner's, or the destination's). Embedded and other Pulsar runners
    have no remote end to test and are left out.
    """
    config = config if isinstance(config, dict) else {}
    runners = config.get("runners") if isinstance(config.get("runners"), dict) else {}
    found = []
    for env_id, env, _path in environment_items(config.get("execution")):
        runner_id = env.get("runner") if isinstance(env, dict) else None
        runner = runners.get(runner_id) if isinstance(runner_id, str) else None
        if not isinstance(runner, dict) or runner.get("enabled", True) is False:
            continue
        if runner_family(runner.get("load")) != "pulsar":
            continue
        runner_class = runner["load"].strip().rsplit(":", 1)[-1]
        transport = "rest" if runner_class in PULSAR_REST_CLASSES else "mq" if runner_class in PULSAR_MQ_CLASSES else ""
        if not transport:
            continue
        kwds, params = runner_kwds(runner), environment_params(env)
        found.append(
            {
                "environment": env_id,
                "runner": runner_id,
                "transport": transport,
                "url": str(params.get("url") or "") if transport == "rest" else "",
                "private_token": str(params.get("private_token") or "") if transport == "rest" else "",
                "amqp_url": str(kwds.get("amqp_url") or "") if transport == "mq" else "",
                "galaxy_url": str(params.get("galaxy_url") or kwds.get("galaxy_url") or ""),
            }
        )
    return found


def uses_shared_filesystem(config):
    """Whether Galaxy's jobs need the cluster to share Galaxy's filesystem: False only when the enabled runners are
    Pulsar's (which stages files over the network) and Galaxy's local one. Every other runner (DRMAA, CLI, ...) needs
    it, Galaxy's cluster docs say; so does a job conf with no runner at all (the readiness check run without
    galaxy_jobs), or with the local one alone, as before Pulsar was known to the check."""
    runners = (config or {}).get("runners") if isinstance(config, dict) else None
    families = {
        runner_family(runner.get("load"))
        for runner_id, runner in (runners.items() if isinstance(runners, dict) else ())
        if runner_id != "dynamic" and isinstance(runner, dict) and runner.get("enabled", True) is not False
    }
    return "pulsar" not in families or not families <= {"local", "pulsar"}


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


# Runners whose jobs run the metadata step in the job script unless the destination sets embed_metadata_in_job:
# false; the handler then sets it after the job (galaxy.jobs.runners: drmaa.py, cli.py, condor.py), in a Celery
# task when the destination's metadata_strategy names celery (BaseJobRunner._handle_metadata_externally).
EXTERNAL_METADATA_FAMILIES = (*DRMAA_FAMILIES, "cli", "condor")
CELERY_METADATA_PARAMS = ("embed_metadata_in_job", "metadata_strategy")


def with_celery_metadata(config, strategy):
    """A copy of ``config`` where every environment of an enabled drmaa, slurm, univa, cli or condor runner that
    sets neither embed_metadata_in_job nor metadata_strategy gets ``embed_metadata_in_job: false`` and
    ``metadata_strategy: strategy`` (directory_celery or extended_celery).

    Returns (config, {environment id: its runner's family} for each environment changed). An environment that
    sets either param keeps its own choice.
    """
    if not strategy or not isinstance(config, dict) or not isinstance(config.get("execution"), dict):
        return config, {}
    runners = config.get("runners") if isinstance(config.get("runners"), dict) else {}
    families = {
        runner_id: runner_family(runner.get("load"))
        for runner_id, runner in runners.items()
        if isinstance(runner, dict) and runner.get("enabled", True) is not False
    }
    changed = {}

    def converted(env_id, env):
        family = families.get(env.get("runner")) if isinstance(env, dict) else None
        if family not in EXTERNAL_METADATA_FAMILIES:
            return env
        params = environment_params(env)
        if any(key in params for key in CELERY_METADATA_PARAMS):
            return env
        env = dict(env)
        added = {"embed_metadata_in_job": False, "metadata_strategy": strategy}
        if isinstance(env.get("params"), dict):
            env["params"] = dict(env["params"], **added)
        else:
            env.update(added)
        changed[env_id] = family
        return env

    execution = dict(config["execution"])
    environments = execution.get("environments")
    if isinstance(environments, dict):
        execution["environments"] = {env_id: converted(env_id, env) for env_id, env in environments.items()}
    elif isinstance(environments, list):
        execution["environments"] = [
            converted(env.get("id") if isinstance(env, dict) else None, env) for env in environments
        ]
    else:
        return config, {}
    result = dict(config)
    result["execution"] = execution
    return result, changed


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
                found.append(f"runners.{runner_id}.amqp_url")
        except ValueError:
            pass
    for _env_id, env, path in environment_items(config.get("execution")):
        params = environment_params(env) if isinstance(env, dict) else {}
        if params.get("private_token"):
            found.append(f"{path}.private_token")
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
        f"mode: '{mode}' lets every account on the host read the job conf, which holds secrets ({', '.join(held)}); "
        "give it a mode without read for others, such as 0640 (galaxy_jobs_conf_mode)"
    )
