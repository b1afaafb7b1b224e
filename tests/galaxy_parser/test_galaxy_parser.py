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
import sys

import pytest
import yaml

from ansible_collections.gxhpc.cluster.plugins.module_utils import job_conf

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
EXAMPLES = sorted(glob.glob(os.path.join(ROOT, "docs", "job_conf", "*.yml")))
PARSER = os.path.join(HERE, "galaxy_parse.py")

sys.path.insert(0, HERE)
from ensure_venv import GALAXY_REQUIREMENT, GalaxyUnavailable, ensure_venv  # noqa: E402


@pytest.fixture(scope="session")
def galaxy_python():
    try:
        return ensure_venv()
    except GalaxyUnavailable as exc:
        pytest.skip("SKIPPED: cannot install %s for the Galaxy parser cross-check: %s" % (GALAXY_REQUIREMENT, exc))


def run_parser(python, *args):
    result = subprocess.run([python, PARSER, *args], capture_output=True, text=True, timeout=600, check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout)


@pytest.fixture(scope="session")
def parsed(galaxy_python, tmp_path_factory):
    """Render every example in both formats, then load them all in one Galaxy process (imports take seconds)."""
    out = tmp_path_factory.mktemp("job_conf")
    paths = {}
    for example in EXAMPLES:
        name = os.path.splitext(os.path.basename(example))[0]
        with open(example) as handle:
            config = yaml.safe_load(handle)
        for fmt, suffix in (("yaml", "yml"), ("xml", "xml")):
            path = out / ("%s.job_conf.%s" % (name, suffix))
            path.write_text(job_conf.render(config, fmt))
            paths[(name, fmt)] = str(path)
    results = run_parser(galaxy_python, *paths.values())
    return {key: results[path] for key, path in paths.items()}


def example_names():
    return [os.path.splitext(os.path.basename(e))[0] for e in EXAMPLES]


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


@pytest.mark.parametrize("name", example_names())
@pytest.mark.parametrize("fmt", ["yaml", "xml"])
def test_galaxy_loads_example(parsed, name, fmt):
    result = parsed[(name, fmt)]
    assert result["ok"], result.get("error")


@pytest.mark.parametrize("name", example_names())
def test_yaml_and_xml_mean_the_same_to_galaxy(parsed, name):
    from_yaml, from_xml = parsed[(name, "yaml")], parsed[(name, "xml")]
    assert from_yaml["ok"] and from_xml["ok"]
    for key in sorted(from_yaml["parsed"]):
        assert from_yaml["parsed"][key] == from_xml["parsed"][key], key


@pytest.mark.parametrize("name", example_names())
def test_galaxy_sees_what_was_configured(parsed, name):
    """Galaxy's view matches the input: runner ids, environment ids, runner of each, default environment."""
    with open(os.path.join(ROOT, "docs", "job_conf", name + ".yml")) as handle:
        config = yaml.safe_load(handle)
    galaxy = parsed[(name, "yaml")]["parsed"]
    assert set(galaxy["runners"]) == {r for r in config["runners"] if r != "dynamic"}
    environments = config["execution"]["environments"]
    assert set(galaxy["destinations"]) == set(environments)
    for env_id, env in environments.items():
        assert galaxy["destinations"][env_id]["runner"] == env["runner"]
        expected = {k: v for k, v in job_conf.environment_params(env).items() if k != "metrics"}
        got = {k: v for k, v in galaxy["destinations"][env_id]["params"].items() if k in expected}
        assert got == {k: job_conf._xml_text(v) for k, v in expected.items()}
    assert galaxy["default_destination_id"] == config["execution"]["default"]


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
