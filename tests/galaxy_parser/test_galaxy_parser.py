"""Cross-check with Galaxy's own parser: every example in docs/job_conf, rendered as YAML and as XML by
gxhpc.cluster's job_conf, is loaded by galaxy.jobs.JobConfiguration (galaxy-app 26.1.1), and both forms
must give Galaxy the same runners, destinations (params, env, resubmit), handlers, tools, resources and limits.

Not part of `make unit` (it installs Galaxy into .cache/venv-galaxy-parser on first use); run it with

    .venv/bin/pytest -q tests/galaxy_parser

It skips, saying why, when galaxy-app cannot be installed.
"""

import glob
import json
import os
import subprocess

import pytest
import yaml

# From this folder (its conftest.py puts it on sys.path). text: how the parser normalizes what Galaxy read.
from cases import CASES
from galaxy_parse import text

from ansible_collections.gxhpc.cluster.plugins.module_utils import job_conf

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
EXAMPLES = sorted(glob.glob(os.path.join(ROOT, "docs", "job_conf", "*.yml")))
PARSER = os.path.join(HERE, "galaxy_parse.py")


def load_inputs():
    """Every configuration the cross-check renders: docs/job_conf's examples and tests/galaxy_parser/cases.py."""
    inputs = {}
    for example in EXAMPLES:
        with open(example) as handle:
            inputs[os.path.splitext(os.path.basename(example))[0]] = yaml.safe_load(handle)
    for name, case in CASES.items():
        inputs["case:" + name] = case
    return inputs


INPUTS = load_inputs()


def run_parser(python, *args):
    result = subprocess.run([python, PARSER, *args], capture_output=True, text=True, timeout=600, check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout)


@pytest.fixture(scope="session")
def parsed(galaxy_python, tmp_path_factory):
    """Render every example in both formats, then load them all in one Galaxy process (imports take seconds)."""
    out = tmp_path_factory.mktemp("job_conf")
    paths = {}
    for name, config in INPUTS.items():
        for fmt, suffix in (("yaml", "yml"), ("xml", "xml")):
            path = out / ("%s.job_conf.%s" % (name.replace(":", "_"), suffix))
            path.write_text(job_conf.render(config, fmt))
            paths[(name, fmt)] = str(path)
    results = run_parser(galaxy_python, *paths.values())
    return {key: results[path] for key, path in paths.items()}


def example_names():
    return [os.path.splitext(os.path.basename(e))[0] for e in EXAMPLES]


def input_names():
    return list(INPUTS)


def test_every_runner_family_has_an_example():
    families = set()
    for example in EXAMPLES:
        with open(example) as handle:
            families.update(job_conf.summarize(yaml.safe_load(handle))["runner_families"].values())
    wanted = {"local", "drmaa", "univa", "pbs", "condor", "pulsar", "cli", "aws_batch", "slurm"}
    assert wanted <= families, "no example for %s" % sorted(wanted - families)


@pytest.mark.parametrize("name", example_names())
def test_example_is_valid(name):
    with open(os.path.join(ROOT, "docs", "job_conf", name + ".yml")) as handle:
        errors, warnings = job_conf.validate(yaml.safe_load(handle))
    assert errors == []
    assert warnings == []


@pytest.mark.parametrize("name", sorted(CASES))
def test_case_is_valid(name):
    assert job_conf.validate(CASES[name]) == ([], [])


@pytest.mark.parametrize("name", input_names())
@pytest.mark.parametrize("fmt", ["yaml", "xml"])
def test_galaxy_loads_example(parsed, name, fmt):
    result = parsed[(name, fmt)]
    assert result["ok"], result.get("error")


@pytest.mark.parametrize("name", input_names())
def test_yaml_and_xml_mean_the_same_to_galaxy(parsed, name):
    from_yaml, from_xml = parsed[(name, "yaml")], parsed[(name, "xml")]
    assert from_yaml["ok"] and from_xml["ok"]
    for key in sorted(from_yaml["parsed"]):
        assert from_yaml["parsed"][key] == from_xml["parsed"][key], key


def expected_view(config):
    """What Galaxy must see for ``config``, computed from the input alone (galaxy_parse.parse's shape)."""
    typed = job_conf.galaxy_typed(config)
    runners = {}
    for runner_id, runner in (typed.get("runners") or {}).items():
        runner = runner or {}
        if runner_id == "dynamic" or runner.get("enabled", True) is False:
            continue
        kwds = {k: text(v) for k, v in job_conf.runner_kwds(runner).items() if k != "enabled"}
        runners[runner_id] = {"load": runner["load"], "workers": runner.get("workers", 4), "kwds": kwds}
    destinations = {}
    for env_id, env, _path in job_conf.environment_items(typed.get("execution")):
        env = env or {}
        params = {k: text(v) for k, v in job_conf.environment_params(env).items() if k not in ("metrics", "id")}
        runner = env["runner"]
        if runner == "dynamic_tpv":
            runner = "dynamic"
            params.update({k: text(v) for k, v in job_conf.TPV_FORCED.items()})
        params.setdefault("docker_sudo", "false")
        destinations[env_id] = {
            "runner": runner,
            "tags": env.get("tags") or [],
            "shell": env.get("shell"),
            "params": params,
            "env": [
                {
                    "name": entry.get("name"),
                    "value": text(entry.get("value")),
                    "file": entry.get("file"),
                    "execute": entry.get("execute"),
                    "raw": bool(entry.get("raw", False)),
                }
                for entry in env.get("env") or []
            ],
            "resubmit": [
                {
                    "condition": entry.get("condition"),
                    "environment": entry.get("environment"),
                    "handler": entry.get("handler"),
                    "delay": text(entry.get("delay")),
                }
                for entry in env.get("resubmit") or []
            ],
        }
    ids = list(destinations)
    tags = {}
    for env_id, destination in destinations.items():
        for tag in destination["tags"]:
            tags.setdefault(tag, []).append(env_id)
    default = (typed.get("execution") or {}).get("default") or (ids[0] if len(ids) + len(tags) == 1 else None)
    handling = typed.get("handling") or {}
    handlers = {}
    for handler_id, process in (handling.get("processes") or {}).items():
        handlers.setdefault(handler_id, []).append(handler_id)
        for tag in (process or {}).get("tags") or ["_default_"]:
            handlers.setdefault(tag, []).append(handler_id)
    plugins = {
        h: (p or {})["plugins"] for h, p in (handling.get("processes") or {}).items() if (p or {}).get("plugins")
    }
    dynamic = typed.get("dynamic")
    if dynamic is None and isinstance((typed.get("runners") or {}).get("dynamic"), dict):
        dynamic = job_conf.runner_kwds(typed["runners"]["dynamic"])
    return {
        "runners": runners,
        "dynamic_params": {k: text(v) for k, v in (dynamic or {}).items()},
        "destinations": destinations,
        "destination_tags": {tag: sorted(members) for tag, members in tags.items()},
        "default_destination_id": default,
        "handlers": {k: sorted(v) for k, v in handlers.items()},
        "default_handler_id": handling.get("default"),
        "handler_max_grab": handling.get("max_grab"),
        "handler_ready_window_size": handling.get("ready_window_size", 100),
        "handler_runner_plugins": plugins,
    }


@pytest.mark.parametrize("name", input_names())
@pytest.mark.parametrize("fmt", ["yaml", "xml"])
def test_galaxy_sees_what_was_configured(parsed, name, fmt):
    """Beyond parsing: the runners (load, workers with its type, kwds), destinations (runner, tags, shell, params,
    env, resubmit), tags, default destination, handlers, default handler and handler plugins Galaxy ends up with
    are exactly what the input says, in both formats."""
    result = parsed[(name, fmt)]
    assert result["ok"], result.get("error")
    galaxy = result["parsed"]
    expected = expected_view(INPUTS[name])
    for key, value in expected.items():
        assert galaxy[key] == value, key
    for runner_id, runner in galaxy["runners"].items():
        assert isinstance(runner["workers"], int), "runners.%s.workers reaches Galaxy as %r" % (runner_id, runner)


@pytest.fixture(scope="session")
def xml_round_trip(galaxy_python, tmp_path_factory):
    """Galaxy's job_config_xml_to_dict output for every rendered XML, and Galaxy's view of it rendered as YAML
    (two Galaxy processes for all inputs)."""
    out = tmp_path_factory.mktemp("xml_to_dict")
    xml_paths = {}
    for name, config in INPUTS.items():
        xml_paths[name] = str(out / ("%s.job_conf.xml" % name.replace(":", "_")))
        with open(xml_paths[name], "w") as handle:
            handle.write(job_conf.render(config, "xml"))
    dicts = run_parser(galaxy_python, "--xml-to-dict", *xml_paths.values())
    dicts = {name: dicts[path] for name, path in xml_paths.items()}
    yaml_paths = {}
    for name, as_dict in dicts.items():
        if job_conf.validate(as_dict)[0]:
            continue
        yaml_paths[name] = str(out / ("%s.again.yml" % name.replace(":", "_")))
        with open(yaml_paths[name], "w") as handle:
            handle.write(job_conf.render(as_dict, "yaml"))
    again = run_parser(galaxy_python, *yaml_paths.values())
    return dicts, {name: again[path] for name, path in yaml_paths.items()}


@pytest.mark.parametrize("name", input_names())
def test_galaxys_own_xml_to_dict_output_is_accepted_and_means_the_same(xml_round_trip, parsed, name):
    """Galaxy's job_config_xml_to_dict output for our XML validates, and rendered again as YAML it gives Galaxy
    what the original gave it."""
    dicts, again = xml_round_trip
    assert job_conf.validate(dicts[name]) == ([], [])
    assert again[name]["ok"], again[name].get("error")
    original = parsed[(name, "yaml")]["parsed"]
    for key in sorted(original):
        assert again[name]["parsed"][key] == original[key], key


def test_known_runner_classes_match_galaxy(galaxy_python):
    classes = run_parser(galaxy_python, "--runner-classes")
    known = set(job_conf.KNOWN_RUNNER_CLASSES)
    assert set(classes["exported"]) <= known, "runner classes Galaxy ships but job_conf does not know"
    assert known <= set(classes["defined"]), "runner classes job_conf knows but Galaxy does not define"


def test_galaxy_rejects_what_the_validator_calls_missing_default(galaxy_python, tmp_path):
    """Several environments and no default: Galaxy refuses to start; the validator says so first."""
    config = {
        "runners": {"local": {"load": "galaxy.jobs.runners.local:LocalJobRunner"}},
        "execution": {"environments": {"a": {"runner": "local"}, "b": {"runner": "local"}}},
    }
    errors, _warnings = job_conf.validate(config)
    assert any(e.startswith("execution.default:") for e in errors)
    path = tmp_path / "job_conf.yml"
    path.write_text(job_conf.render_yaml(config))
    result = run_parser(galaxy_python, str(path))[str(path)]
    assert not result["ok"] and "default" in result["error"]


def test_galaxy_sample_job_conf_errors_are_found(galaxy_python):
    """Galaxy's own job_conf.sample.yml: the validator finds its real mistakes (environments on an undefined
    'pbs' runner and the 'drmma' typo the issue mentions) and nothing else, with no warnings."""
    result = subprocess.run(
        [galaxy_python, "-c", "import galaxy.config, os; print(os.path.dirname(galaxy.config.__file__))"],
        capture_output=True,
        text=True,
        check=True,
    )
    sample = os.path.join(result.stdout.strip(), "sample", "job_conf.sample.yml")
    with open(sample) as handle:
        errors, warnings = job_conf.validate(yaml.safe_load(handle))
    assert sorted(e.split(":")[0] for e in errors) == [
        "execution.environments.clean_tmp_by_job.runner",
        "execution.environments.clean_tmp_drm.runner",
        "execution.environments.clean_tmp_fast_scratch.runner",
        "execution.environments.pbs.runner",
        "execution.environments.pbs_longjobs.runner",
    ]
    assert "'drmma' is not a defined runner (did you mean 'drmaa'?)" in " ".join(errors)
    assert warnings == []
