"""Load job configuration files with Galaxy's own JobConfiguration and print what Galaxy made of them.

Runs inside the Galaxy venv (.cache/venv-galaxy-parser), never in the project venv:

    .cache/venv-galaxy-parser/bin/python tests/galaxy_parser/galaxy_parse.py job_conf.yml job_conf.xml ...
    .cache/venv-galaxy-parser/bin/python tests/galaxy_parser/galaxy_parse.py --runner-classes
    .cache/venv-galaxy-parser/bin/python tests/galaxy_parser/galaxy_parse.py --xml-to-dict job_conf.xml ...

Prints one JSON document: a mapping of each path to either {"ok": true, "parsed": {...}} or
{"ok": false, "error": "..."}; with --runner-classes, the "<module>:<class>" of every job runner class
Galaxy ships; with --xml-to-dict, what Galaxy's job_config_xml_to_dict returns for each file. Values are
normalized the way Galaxy reads them back (params as text), so that the YAML and XML forms of one
configuration compare equal exactly when Galaxy would treat them alike.
"""

import ast
import dataclasses
import json
import logging
import os
import pkgutil
import sys
from unittest import mock


def text(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return None
    if isinstance(value, (list, dict)):
        return json.loads(json.dumps(value, default=str))
    return str(value)


def make_app(path):
    config = mock.MagicMock()
    config.job_config_file = path
    config.config_dict = {}
    config.use_tasked_jobs = False
    config.default_job_resubmission_condition = None
    config.job_resource_params_file = "/nonexistent/job_resource_params_conf.xml"
    config.track_jobs_in_database = True
    config.is_set = lambda key: True
    config.server_name = "main.1"
    app = mock.MagicMock()
    app.config = config
    # What Galaxy's application stack picks when job_conf sets no handling.assign and the database is PostgreSQL.
    app.application_stack.get_preferred_handler_assignment_method.return_value = "db-skip-locked"
    return app


def normalize_destination(destination):
    params = {key: text(value) for key, value in destination.params.items()}
    # job_conf.xml turns docker_sudo on unless a destination says otherwise; YAML leaves it off.
    params.setdefault("docker_sudo", "false")
    env = [
        {
            "name": entry.get("name"),
            "value": text(entry.get("value")),
            "file": entry.get("file"),
            "execute": entry.get("execute"),
            "raw": bool(entry.get("raw", False)),
        }
        for entry in destination.env
    ]
    resubmit = [
        {
            "condition": entry.get("condition"),
            "environment": entry.get("environment"),
            "handler": entry.get("handler"),
            "delay": text(entry.get("delay")),
        }
        for entry in destination.resubmit
    ]
    return {
        "runner": destination.runner,
        "tags": destination.tags or [],
        "shell": destination.shell,
        "params": params,
        "env": env,
        "resubmit": resubmit,
    }


def parse(path):
    from galaxy.jobs import JobConfiguration

    job_config = JobConfiguration(make_app(path))
    runners = {}
    for runner in job_config.runner_plugins:
        runners[runner["id"]] = {
            "load": runner["load"],
            # as Galaxy hands it to the runner's thread pool: a str here is a TypeError at handler start
            "workers": runner.get("workers", JobConfiguration.DEFAULT_NWORKERS),
            "kwds": {key: text(value) for key, value in runner.get("kwds", {}).items()},
        }
    destinations = {}
    tags = {}
    for key, collection in job_config.destinations.items():
        ids = [d.id for d in collection]
        if ids == [key]:
            destinations[key] = normalize_destination(collection[0])
        else:
            tags[key] = sorted(ids)
    tools = {}
    for key, configs in list(job_config.tools.items()) + [
        ("class:" + k, v) for k, v in job_config.tool_classes.items()
    ]:
        tools[key] = [
            {
                "handler": c.get("handler"),
                "destination": c.get("destination"),
                "resources": c.get("resources"),
                # Galaxy's YAML parser keeps a class mapping's "class" among its params, the XML parser does not.
                "params": {k: text(v) for k, v in (c.get("params") or {}).items() if k != "class"},
            }
            for c in configs
        ]
    limits = dataclasses.asdict(job_config.limits)
    limits = json.loads(json.dumps(limits, default=str))
    return {
        "runners": runners,
        "dynamic_params": {k: text(v) for k, v in (job_config.dynamic_params or {}).items()},
        "destinations": destinations,
        "destination_tags": tags,
        "default_destination_id": job_config.default_destination_id,
        "handlers": {k: sorted(v) for k, v in job_config.handlers.items()},
        "default_handler_id": job_config.default_handler_id,
        "handler_assignment_methods": [str(getattr(m, "value", m)) for m in job_config.handler_assignment_methods],
        "handler_max_grab": job_config.handler_max_grab,
        "handler_ready_window_size": job_config.handler_ready_window_size,
        "handler_runner_plugins": job_config.handler_runner_plugins,
        "tools": tools,
        "resource_groups": job_config.resource_groups,
        "default_resource_group": job_config.default_resource_group,
        "limits": limits,
    }


def runner_classes():
    """The runner classes of galaxy.jobs.runners' modules, as "<module>:<class>".

    ``exported``: named in a module's __all__ (what a load string without a class loads); ``defined``: every
    class whose name ends in JobRunner. Read from the source, not imported: several runner modules (pulsar,
    kubernetes, ...) need optional packages.
    """
    import galaxy.jobs.runners as package

    exported, defined = set(), set()
    for info in pkgutil.iter_modules(package.__path__):
        if info.ispkg:
            continue
        with open(os.path.join(package.__path__[0], info.name + ".py")) as handle:
            tree = ast.parse(handle.read())
        for node in tree.body:
            if isinstance(node, ast.ClassDef) and node.name.endswith("JobRunner"):
                defined.add("%s:%s" % (info.name, node.name))
            targets = [t.id for t in getattr(node, "targets", []) if isinstance(t, ast.Name)]
            if "__all__" in targets:
                for name in ast.literal_eval(node.value):
                    if name.endswith("Runner"):
                        exported.add("%s:%s" % (info.name, name))
    return {"exported": sorted(exported), "defined": sorted(defined)}


def xml_to_dict(path):
    """What Galaxy's own job_config_xml_to_dict makes of a job_conf.xml (the dict its YAML path then reads)."""
    from galaxy.jobs import job_config_xml_to_dict
    from galaxy.util.xml_macros import load  # what JobConfiguration reads job_conf.xml with

    return json.loads(json.dumps(job_config_xml_to_dict(make_app(path).config, load(path).getroot()), default=str))


def main(argv):
    logging.basicConfig(level=logging.ERROR, stream=sys.stderr)
    if argv == ["--runner-classes"]:
        json.dump(runner_classes(), sys.stdout)
        return 0
    if argv[:1] == ["--xml-to-dict"]:
        json.dump({path: xml_to_dict(path) for path in argv[1:]}, sys.stdout, indent=1)
        return 0
    results = {}
    for path in argv:
        try:
            results[path] = {"ok": True, "parsed": parse(path)}
        except Exception as exc:  # report every file, not only the first failure
            results[path] = {"ok": False, "error": "%s: %s" % (type(exc).__name__, exc)}
    json.dump(results, sys.stdout, indent=1, sort_keys=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
