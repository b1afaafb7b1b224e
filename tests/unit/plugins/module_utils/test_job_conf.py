"""job_conf validation and rendering: one test per rule, every error with its path."""

import copy
import xml.etree.ElementTree as ET  # noqa: S405 - parses XML this code just rendered

import pytest
import yaml

from ansible_collections.gxhpc.cluster.plugins.module_utils import job_conf
from ansible_collections.gxhpc.cluster.plugins.module_utils.job_conf import (
    JobConfRenderError,
    format_for_path,
    render_xml,
    render_yaml,
    runner_family,
    summarize,
    validate,
)

BASE = {
    "runners": {
        "local": {"load": "galaxy.jobs.runners.local:LocalJobRunner", "workers": 4},
        "slurm": {"load": "galaxy.jobs.runners.slurm:SlurmJobRunner"},
    },
    "handling": {"assign": ["db-skip-locked"], "processes": {"handler0": {"tags": ["handlers"]}, "handler1": None}},
    "execution": {
        "default": "slurm",
        "environments": {
            "local": {"runner": "local", "tags": ["small"]},
            "slurm": {"runner": "slurm", "native_specification": "--ntasks=1"},
        },
    },
    "tools": [{"class": "local", "environment": "local"}],
    "resources": {"default": "default", "groups": {"default": [], "all": ["processors", "memory"]}},
    "limits": [{"type": "registered_user_concurrent_jobs", "value": 2}],
}


def config(**changes):
    """BASE with dotted-path changes; a value of DELETE removes the key."""
    result = copy.deepcopy(BASE)
    for dotted, value in changes.items():
        keys = dotted.split("__")
        target = result
        for key in keys[:-1]:
            target = target[int(key)] if isinstance(target, list) else target.setdefault(key, {})
        if value is DELETE:
            target.pop(keys[-1], None)
        elif isinstance(target, list):
            target[int(keys[-1])] = value
        else:
            target[keys[-1]] = value
    return result


DELETE = object()


def errors_of(cfg, **kwargs):
    errors, _warnings = validate(cfg, **kwargs)
    return errors


def test_base_is_valid():
    assert validate(BASE) == ([], [])


# (changes, expected error) pairs: each bad input is named by its path.
BAD = [
    # references
    (
        {"execution__environments__big": {"runner": "slurm2"}},
        "execution.environments.big.runner: 'slurm2' is not a defined runner (did you mean 'slurm'?) "
        "(defined: local, slurm)",
    ),
    ({"execution__default": "nowhere"}, "execution.default: 'nowhere' is not a defined environment id or tag"),
    ({"execution__default": DELETE}, "execution.default: is required when several environments are defined"),
    ({"handling__default": "nobody"}, "handling.default: 'nobody' is not a defined handler id or tag"),
    ({"tools": [{"id": "bwa", "environment": "nope"}]}, "tools[0].environment: 'nope' is not a defined environment"),
    ({"tools": [{"id": "bwa", "handler": "nope"}]}, "tools[0].handler: 'nope' is not a defined handler id or tag"),
    ({"tools": [{"id": "bwa", "resources": "nope"}]}, "tools[0].resources: 'nope' is not a defined resource group"),
    ({"resources__default": "nope"}, "resources.default: 'nope' is not a defined resource group"),
    (
        {"execution__environments__slurm__resubmit": [{"condition": "walltime_reached", "environment": "long"}]},
        "execution.environments.slurm.resubmit[0].environment: 'long' is not a defined environment id or tag",
    ),
    (
        {"execution__environments__slurm__resubmit": [{"handler": "h9"}]},
        "execution.environments.slurm.resubmit[0].handler: 'h9' is not a defined handler id or tag",
    ),
    (
        {"handling__processes__handler0__plugins": ["sge"]},
        "handling.processes.handler0.plugins[0]: 'sge' is not a defined runner",
    ),
    (
        {"limits": [{"type": "environment_user_concurrent_jobs", "id": "nope", "value": 1}]},
        "limits[0].id: 'nope' is not a defined environment id",
    ),
    (
        {"limits": [{"type": "environment_total_concurrent_jobs", "tag": "nope", "value": 1}]},
        "limits[0].tag: 'nope' is not a defined environment id or tag",
    ),
    (
        {"runners__slurm__enabled": False},
        "execution.environments.slurm.runner: 'slurm' is a disabled runner (enabled: false)",
    ),
    # duplicate ids
    (
        {
            "execution__environments": [{"id": "a", "runner": "local"}, {"id": "a", "runner": "slurm"}],
            "execution__default": "a",
        },
        "execution.environments[1].id: duplicate environment id 'a' (also execution.environments.a)",
    ),
    (
        {"execution__environments__local__tags": ["slurm"]},
        "execution.environments.local.tags: 'slurm' is also an environment id",
    ),
    (
        {"handling__processes__handler0__tags": ["handler1"]},
        "handling.processes.handler0.tags: 'handler1' is also a handler id",
    ),
    (
        {"tools": [{"id": "bwa", "environment": "slurm"}, {"id": "BWA/", "environment": "local"}]},
        "tools[1]: duplicate mapping for id 'bwa' (same params as tools[0])",
    ),
    (
        {"limits": [{"type": "walltime", "value": "1:00:00"}, {"type": "walltime", "value": "2:00:00"}]},
        "limits[1]: duplicate limit walltime (also limits[0])",
    ),
    # handling
    ({"handling__assign": ["db-skip-lock"]}, "handling.assign[0]: 'db-skip-lock' is not a handler assignment method"),
    ({"handling__assign": "db-skip-locked"}, "handling.assign: must be a list of assignment methods, got str"),
    ({"handling__processes": DELETE}, "handling.assign: db-skip-locked needs job handler processes"),
    (
        {"handling__processes": DELETE, "handling__assign": ["db-transaction-isolation"]},
        "handling.assign: db-transaction-isolation needs job handler processes",
    ),
    ({"handling__max_grab": 0}, "handling.max_grab: must be a positive integer, got 0"),
    ({"handling__asign": ["db-self"]}, "handling.asign: unknown key (did you mean 'assign'?)"),
    # drmaa, slurm, univa params
    (
        {"execution__environments__slurm__outputPath": "/tmp/x"},
        "execution.environments.slurm.outputPath: is set by Galaxy's DRMAA runner for every job",
    ),
    (
        {"execution__environments__slurm__jobName": "x"},
        "execution.environments.slurm.jobName: is set by Galaxy's DRMAA runner",
    ),
    (
        {"execution__environments__slurm__native_specification": ["--ntasks=1"]},
        "execution.environments.slurm.native_specification: must be a string of scheduler options, got list",
    ),
    (
        {"execution__environments__slurm__nativeSpecification": "--mem=1G"},
        "execution.environments.slurm.native_specification: is ignored because nativeSpecification is also set",
    ),
    # local
    ({"runners__local__workers": 0}, "runners.local.workers: must be a positive integer, got 0"),
    (
        {"execution__environments__local__local_slots": -2},
        "execution.environments.local.local_slots: must be a positive",
    ),
    (
        {"execution__environments__local__local_slots": "four"},
        "execution.environments.local.local_slots: must be a positive",
    ),
    # types from job_config_schema.yml
    (
        {"execution__environments__local__tags": "small,fast"},
        "execution.environments.local.tags: must be a list of strings",
    ),
    (
        {"execution__environments__local__env": [{"name": "N", "value": 4}]},
        "execution.environments.local.env[0].value: must be a string (quote numbers), got int 4",
    ),
    (
        {"execution__environments__local__env": [{"name": "N", "value": "4", "file": "/x"}]},
        "execution.environments.local.env[0]: needs exactly one of value (with name), file or execute",
    ),
    (
        {"limits": [{"type": "total_walltime", "window": "thirty", "value": "24:00:00"}]},
        "limits[0].window: must be a positive number of days, got str 'thirty'",
    ),
    ({"limits": [{"type": "total_walltime", "value": "24:00:00"}]}, "limits[0].window: is required for total_walltime"),
    ({"limits": [{"type": "walltime", "value": "24h"}]}, "limits[0].value: must be a walltime 'HH:MM:SS'"),
    ({"limits": [{"type": "output_size", "value": "big"}]}, "limits[0].value: must be a size"),
    (
        {"limits": [{"type": "registered_user_concurrent_jobs", "value": "two"}]},
        "limits[0].value: must be a number of jobs",
    ),
    ({"limits": [{"type": "concurrent_jobz", "value": 1}]}, "limits[0].type: 'concurrent_jobz' is not a limit type"),
    ({"tools": [{"id": "x", "class": "local"}]}, "tools[0]: needs exactly one of id or class"),
    ({"tools": [{"class": "remote"}]}, "tools[0].class: 'remote' is not a tool class"),
    ({"runners__local__workers": True}, "runners.local.workers: must be a positive integer, got True"),
    ({"runners__local__enabled": "no"}, "runners.local.enabled: must be a boolean, got str"),
    ({"runners__slurm__load": DELETE}, "runners.slurm.load: is required"),
    ({"runners": DELETE}, "runners: is required"),
    ({"execution__environments": {}}, "execution.environments: must define at least one environment"),
    ({"execution__environments__local__runner": DELETE}, "execution.environments.local.runner: is required"),
    ({"jobs": {}}, "jobs: unknown key"),
    (
        {"execution__environments__slurm__params": {"native_specification": "--ntasks=2"}},
        "execution.environments.slurm: Galaxy ignores native_specification because the environment has a params",
    ),
]


@pytest.mark.parametrize(
    ("changes", "expected"), BAD, ids=[e.split(":")[0] + "|" + str(i) for i, (_changes, e) in enumerate(BAD)]
)
def test_bad_input_is_rejected_with_its_path(changes, expected):
    errors = errors_of(config(**changes))
    assert any(e.startswith(expected) for e in errors), errors


def test_all_errors_are_reported_at_once():
    cfg = config(
        execution__environments__big={"runner": "slurm2"},
        handling__assign=["db-skip-lock"],
        runners__local__workers=0,
    )
    errors = errors_of(cfg)
    assert len(errors) == 3, errors


def test_errors_of_list_items_come_in_item_order():
    """A list's items are checked one after the other: an item that is no mapping does not jump the queue."""
    cfg = config(
        tools=[1, {"id": 1}, "x", {"class": "nope"}],
        execution__environments__slurm__resubmit=[None, {"condition": 1}, 2],
    )
    assert errors_of(cfg) == [
        "execution.environments.slurm.resubmit[0]: must be a mapping, got null None",
        "execution.environments.slurm.resubmit[1].condition: must be a string (a Python-like expression), got int 1",
        "execution.environments.slurm.resubmit[2]: must be a mapping, got int 2",
        "tools[0]: must be a mapping, got int 1",
        "tools[1].id: must be a string, got int 1",
        "tools[2]: must be a mapping, got str 'x'",
        "tools[3].class: 'nope' is not a tool class (accepted: local, requires_galaxy, user_defined)",
    ]


def test_sqlite_with_db_skip_locked():
    errors = errors_of(BASE, database_connection="sqlite:///./database/universe.sqlite?isolation_level=IMMEDIATE")
    assert any(e.startswith("handling.assign: db-skip-locked needs a database with") for e in errors)
    assert errors_of(BASE, database_connection="postgresql:///galaxy?host=/var/run/postgresql") == []


def test_gravity_handlers_count_as_handler_processes():
    cfg = config(handling__processes=DELETE)
    assert errors_of(cfg)
    gravity = {"handler": {"processes": 2, "pools": ["job-handlers", "job-handlers.special"]}}
    assert errors_of(cfg, gravity_handlers=gravity) == []
    # gravity's process names and pool tags are valid handler references
    cfg["tools"].append({"id": "bwa", "handler": "special"})
    cfg["handling"]["default"] = "handler_0"
    assert errors_of(cfg, gravity_handlers=gravity) == []
    assert errors_of(cfg, gravity_handlers={"handler": {"processes": 0}})


def test_mem_self_needs_no_handlers():
    assert errors_of(config(handling={"assign": ["mem-self"]})) == []


def test_pbs_reserved_params():
    cfg = config(runners__pbs={"load": "galaxy.jobs.runners.pbs:PBSJobRunner"})
    for key in ("-o", "Output_Path", "-e", "Error_Path", "-N", "Job_Name"):
        cfg["execution"]["environments"]["pbs"] = {"runner": "pbs", key: "x"}
        assert any(
            e.startswith("execution.environments.pbs.%s: is set by Galaxy's PBS runner" % key) for e in errors_of(cfg)
        )
    cfg["execution"]["environments"]["pbs"] = {"runner": "pbs", "Resource_List": "walltime=72:00:00,nodes=1:ppn=8"}
    assert errors_of(cfg) == []


def test_univa_and_drmaa_share_drmaa_rules():
    for load in ("galaxy.jobs.runners.univa:UnivaJobRunner", "galaxy.jobs.runners.drmaa:DRMAAJobRunner", "drmaa"):
        cfg = config(runners__grid={"load": load})
        cfg["execution"]["environments"]["grid"] = {"runner": "grid", "errorPath": "x", "nativeSpecification": 5}
        errors = errors_of(cfg)
        assert any(e.startswith("execution.environments.grid.errorPath:") for e in errors), load
        assert any(e.startswith("execution.environments.grid.nativeSpecification: must be a string") for e in errors)


def cli_config(**params):
    cfg = config(runners__cli={"load": "galaxy.jobs.runners.cli:ShellJobRunner"})
    cfg["execution"]["environments"]["ssh"] = dict({"runner": "cli"}, **params)
    return cfg


def test_cli_needs_a_job_plugin_and_defaults_the_shell_plugin():
    errors = errors_of(cli_config())
    # Galaxy's cli runner defaults shell_plugin to LocalShell (runners/util/cli/__init__.py); job_plugin has none
    assert not any(".shell_plugin" in e for e in errors), errors
    assert any(e.startswith("execution.environments.ssh.job_plugin: is required for the cli runner") for e in errors)
    assert errors_of(cli_config(job_plugin="Slurm")) == []
    errors = errors_of(cli_config(shell_plugin="SSH", job_plugin="Torq"))
    assert any(e.startswith("execution.environments.ssh.shell_plugin: 'SSH' is not a cli shell plugin") for e in errors)
    assert any(e.startswith("execution.environments.ssh.job_plugin: 'Torq' is not a cli job plugin") for e in errors)
    for shell in job_conf.CLI_SHELL_PLUGINS:
        for job in ("Torque", "SlurmTorque", "Slurm", "LSF"):
            assert errors_of(cli_config(shell_plugin=shell, job_plugin=job, shell_hostname="h", job_ncpus=4)) == []
    errors = errors_of(cli_config(shell_plugin="LocalShell", job_plugin="Slurm", job_time=["1h"]))
    assert any(e.startswith("execution.environments.ssh.job_time: must be a scalar") for e in errors)


def aws_config(**params):
    cfg = config(runners__aws={"load": "galaxy.jobs.runners.aws:AWSBatchJobRunner"})
    env = {
        "runner": "aws",
        "docker_enabled": True,
        "job_queue": "q",
        "job_role_arn": "arn:role",
        "efs_filesystem_id": "fs-1",
        "efs_mount_point": "/mnt/efs",
    }
    env.update(params)
    cfg["execution"]["environments"]["aws"] = {k: v for k, v in env.items() if v is not DELETE}
    return cfg


def test_aws_batch_rules():
    assert errors_of(aws_config()) == []
    assert errors_of(aws_config(fargate_version="1.4.0")) == []
    assert errors_of(aws_config(gpu=1)) == []
    for key in ("job_queue", "job_role_arn"):
        errors = errors_of(aws_config(**{key: DELETE}))
        assert any(
            e.startswith("execution.environments.aws.%s: is required by the AWS Batch runner" % key) for e in errors
        )
    errors = errors_of(aws_config(docker_enabled=DELETE))
    assert any(e.startswith("execution.environments.aws.docker_enabled: must be true") for e in errors)
    errors = errors_of(aws_config(docker_enabled=False))
    assert any(e.startswith("execution.environments.aws.docker_enabled: must be true") for e in errors)
    errors = errors_of(aws_config(gpu=1, fargate_version="1.4.0"))
    assert any(e.startswith("execution.environments.aws.gpu: GPUs are not available on Fargate") for e in errors)
    errors = errors_of(aws_config(auto_platform=True))
    assert any(
        e.startswith("execution.environments.aws.fargate_version: is required when auto_platform") for e in errors
    )


def test_unknown_load_is_a_warning_not_an_error():
    cfg = config(runners__mine={"load": "site_runners.mine:MyRunner"})
    cfg["execution"]["environments"]["mine"] = {"runner": "mine"}
    errors, warnings = validate(cfg)
    assert errors == []
    assert len(warnings) == 1 and warnings[0].startswith(
        "runners.mine.load: 'site_runners.mine:MyRunner' is not a runner"
    )


def test_typo_in_load_inside_galaxy_is_an_error():
    """galaxy.jobs.runners is Galaxy's own package: a class it does not have makes the handler fail to start."""
    for load in ("galaxy.jobs.runners.slurm:SlurmJobRuner", "galaxy.jobs.runners.slrum"):
        errors, warnings = validate(config(runners__slurm={"load": load}))
        assert any(e.startswith("runners.slurm.load: '%s' is not a runner class of Galaxy 26.1" % load) for e in errors)
        assert warnings == []
    errors = errors_of(config(runners__slurm={"load": "galaxy.jobs.runners.slurm:SlurmJobRuner"}))
    assert "did you mean 'galaxy.jobs.runners.slurm:SlurmJobRunner'" in errors[0]


@pytest.mark.parametrize(
    ("load", "family"),
    [
        ("galaxy.jobs.runners.local:LocalJobRunner", "local"),
        ("local", "local"),
        ("galaxy.jobs.runners.drmaa", "drmaa"),
        ("galaxy.jobs.runners.univa:UnivaJobRunner", "univa"),
        ("galaxy.jobs.runners.pulsar:PulsarKubernetesJobRunner", "pulsar"),
        ("galaxy.jobs.runners.aws:AWSBatchJobRunner", "aws_batch"),
        ("galaxy.jobs.runners.gcp_batch:GoogleCloudBatchJobRunner", "gcp_batch"),
        ("galaxy.jobs.runners.kubernetes:KubernetesJobRunner", "kubernetes"),
        ("galaxy.jobs.runners.htcondor:HTCondorJobRunner", "htcondor"),
        ("galaxy.jobs.runners.drmma:DRMAAJobRunner", None),
        ("mysite.runners:Thing", None),
        (None, None),
    ],
)
def test_runner_family(load, family):
    assert runner_family(load) == family


def test_dynamic_runner_needs_no_definition():
    cfg = config()
    cfg["execution"]["environments"]["tpv"] = {
        "runner": "dynamic",
        "type": "python",
        "function": "map_tool_to_destination",
    }
    assert errors_of(cfg) == []


def test_disabled_environment_cannot_be_referenced():
    cfg = config(execution__environments__local__enabled=False)
    assert any(e.startswith("tools[0].environment: 'local' is a disabled environment") for e in errors_of(cfg))


def test_environment_tag_is_a_valid_default_and_target():
    cfg = config(execution__default="small")
    cfg["limits"].append({"type": "environment_user_concurrent_jobs", "tag": "small", "value": 1})
    assert errors_of(cfg) == []


def test_single_environment_needs_no_default():
    cfg = config(execution={"environments": {"local": {"runner": "local"}}}, tools=[], handling=DELETE)
    assert errors_of(cfg) == []


def test_not_a_mapping():
    assert errors_of(["runners"]) == ["config: must be a mapping in Galaxy's job_conf.yml schema, got list"]


def test_summarize():
    cfg = config(runners__slurm__drmaa_library_path="/usr/lib/slurm-drmaa/lib/libdrmaa.so.1")
    cfg["runners"]["off"] = {"load": "galaxy.jobs.runners.univa:UnivaJobRunner", "enabled": False}
    summary = summarize(cfg)
    assert summary["drmaa_runners"] == ["slurm"]
    assert summary["drmaa_library_paths"] == {"slurm": "/usr/lib/slurm-drmaa/lib/libdrmaa.so.1"}
    assert summary["runner_families"] == {"local": "local", "slurm": "slurm", "off": "univa"}
    assert summary["uses_tpv"] is False


def test_summarize_tells_when_galaxy_needs_tpv():
    assert summarize(tpv_environment(tpv_config_files="/a.yml"))["uses_tpv"] is True
    cfg = config(dynamic={"rules_module": "tpv.rules"})
    cfg["execution"]["environments"]["tpv"] = {"runner": "dynamic", "function": "map_tool_to_destination"}
    assert summarize(cfg)["uses_tpv"] is True
    cfg["execution"]["environments"]["tpv"]["rules_module"] = "site.rules"
    assert summarize(cfg)["uses_tpv"] is False


# -- rendering ------------------------------------------------------------------------------------------------


def test_render_yaml_round_trips_and_keeps_order():
    text = render_yaml(BASE)
    assert text.startswith("# Galaxy job configuration, written by Ansible")
    assert yaml.safe_load(text) == BASE
    assert list(yaml.safe_load(text)) == list(BASE)


def test_render_xml_structure():
    cfg = config()
    cfg["execution"]["environments"]["slurm"].update(
        {
            "env": [{"name": "A", "value": "1"}, {"file": "/etc/profile.d/x.sh"}, {"execute": "module load x"}],
            "resubmit": [{"condition": "walltime_reached", "environment": "local", "handler": "handler0", "delay": 30}],
            "docker_enabled": True,
        }
    )
    cfg["limits"].append({"type": "environment_total_concurrent_jobs", "id": "slurm", "value": 5})
    cfg["limits"].append({"type": "total_walltime", "window": 30, "value": "24:00:00"})
    root = ET.fromstring(render_xml(cfg).split("\n", 1)[1])  # noqa: S314 - our own output
    plugins = {p.get("id"): p for p in root.find("plugins")}
    assert plugins["local"].get("workers") == "4"
    assert plugins["slurm"].get("load") == "galaxy.jobs.runners.slurm:SlurmJobRunner"
    handlers = root.find("handlers")
    assert handlers.get("assign_with") == "db-skip-locked"
    assert [h.get("id") for h in handlers] == ["handler0", "handler1"]
    assert handlers[0].get("tags") == "handlers"
    destinations = root.find("destinations")
    assert destinations.get("default") == "slurm"
    slurm = [d for d in destinations if d.get("id") == "slurm"][0]
    params = {p.get("id"): p.text for p in slurm.findall("param")}
    assert params == {"native_specification": "--ntasks=1", "docker_enabled": "true", "docker_sudo": "false"}
    envs = slurm.findall("env")
    assert (envs[0].get("id"), envs[0].text) == ("A", "1")
    assert envs[1].get("file") == "/etc/profile.d/x.sh"
    assert envs[2].get("exec") == "module load x"
    resubmit = slurm.find("resubmit")
    assert resubmit.attrib == {
        "condition": "walltime_reached",
        "destination": "local",
        "handler": "handler0",
        "delay": "30",
    }
    local = [d for d in destinations if d.get("id") == "local"][0]
    assert local.get("tags") == "small"
    groups = {g.get("id"): g.text for g in root.find("resources")}
    assert groups == {"default": None, "all": "processors,memory"}
    assert root.find("tools")[0].attrib == {"class": "local", "destination": "local"}
    limits = root.find("limits")
    assert limits[1].attrib == {"type": "destination_total_concurrent_jobs", "id": "slurm"}
    assert limits[1].text == "5"
    assert limits[2].attrib == {"type": "total_walltime", "window": "30"}


def test_render_xml_containers():
    cfg = config()
    cfg["execution"]["environments"]["local"]["container"] = [
        {"type": "docker", "shell": "/bin/sh", "resolve_dependencies": False, "identifier": "busybox:1.36"}
    ]
    root = ET.fromstring(render_xml(cfg).split("\n", 1)[1])  # noqa: S314 - our own output
    local = [d for d in root.find("destinations") if d.get("id") == "local"][0]
    container = local.find("param[@id='container']/container")
    assert container.text == "busybox:1.36"
    assert container.attrib == {"type": "docker", "shell": "/bin/sh", "resolve_dependencies": "false"}


def test_render_xml_refuses_yaml_only_features():
    cfg = config()
    cfg["execution"]["environments"]["local"]["shell"] = "/bin/bash"
    cfg["execution"]["environments"]["local"]["metrics"] = [{"type": "core"}]
    cfg["execution"]["environments"]["slurm"]["tpv_config_files"] = ["a.yml"]
    cfg["handling"]["processes"]["handler0"]["environment"] = {"FOO": "1"}
    with pytest.raises(JobConfRenderError) as info:
        render_xml(cfg)
    paths = sorted(e.split(":")[0] for e in info.value.errors)
    assert paths == [
        "execution.environments.local.metrics",
        "execution.environments.local.shell",
        "execution.environments.slurm.tpv_config_files",
        "handling.processes.handler0.environment",
    ]


def test_render_xml_metrics_forms():
    cfg = config()
    cfg["execution"]["environments"]["local"]["metrics"] = {"src": "disabled"}
    cfg["execution"]["environments"]["slurm"]["metrics"] = {"src": "path", "path": "/srv/galaxy/config/metrics.yml"}
    root = ET.fromstring(render_xml(cfg).split("\n", 1)[1])  # noqa: S314 - our own output
    metrics = {d.get("id"): d.get("metrics") for d in root.find("destinations")}
    assert metrics == {"local": "false", "slurm": "/srv/galaxy/config/metrics.yml"}


def test_render_xml_escapes_text():
    cfg = config(execution__environments__slurm__native_specification="--comment='a<b & c'")
    text = render_xml(cfg)
    assert "--comment='a&lt;b &amp; c'" in text


@pytest.mark.parametrize(
    ("path", "fmt"),
    [
        ("/srv/galaxy/config/job_conf.yml", "yaml"),
        ("job_conf.xml", "xml"),
        ("job_conf.xml.j2.yml", "xml"),
        ("jobs.yaml", "yaml"),
    ],
)
def test_format_for_path_follows_galaxy(path, fmt):
    assert format_for_path(path) == fmt


def test_with_drmaa_library_path():
    cfg = config()
    cfg["runners"]["univa"] = {"load": "univa", "drmaa_library_path": "/opt/uge/libdrmaa.so"}
    cfg["runners"]["sge"] = {"load": "drmaa", "kwds": {"x": "1"}}
    result = job_conf.with_drmaa_library_path(cfg, "/usr/local/lib/libdrmaa.so.1")
    assert result["runners"]["slurm"]["drmaa_library_path"] == "/usr/local/lib/libdrmaa.so.1"
    assert result["runners"]["univa"]["drmaa_library_path"] == "/opt/uge/libdrmaa.so", "an explicit path wins"
    assert result["runners"]["sge"]["kwds"] == {"x": "1", "drmaa_library_path": "/usr/local/lib/libdrmaa.so.1"}
    assert "drmaa_library_path" not in result["runners"]["local"]
    assert "drmaa_library_path" not in cfg["runners"]["slurm"], "the input is not modified"
    assert cfg["runners"]["sge"]["kwds"] == {"x": "1"}
    assert job_conf.with_drmaa_library_path(cfg, None) is cfg


def test_one_libdrmaa_per_handler():
    cfg = config(runners__slurm__drmaa_library_path="/usr/lib/slurm-drmaa/lib/libdrmaa.so.1")
    cfg["runners"]["sge"] = {"load": "drmaa", "drmaa_library_path": "/opt/sge/lib/libdrmaa.so"}
    errors = errors_of(cfg)
    assert any(e.startswith("handling.processes.handler0.plugins: a handler would load DRMAA runners") for e in errors)
    cfg["handling"]["processes"] = {"h_slurm": {"plugins": ["local", "slurm"]}, "h_sge": {"plugins": ["sge"]}}
    assert errors_of(cfg) == []
    cfg["handling"] = {"assign": ["db-skip-locked"]}
    errors = errors_of(cfg, gravity_handlers={"handler": {"processes": 1}})
    assert any(e.startswith("runners: a handler would load DRMAA runners with different libraries") for e in errors)
    cfg["runners"]["sge"]["drmaa_library_path"] = "/usr/lib/slurm-drmaa/lib/libdrmaa.so.1"
    assert errors_of(cfg, gravity_handlers={"handler": {"processes": 1}}) == []


def test_idle_handlers_are_a_warning():
    gravity = {"handler": {"processes": 2}}
    _errors, warnings = validate(config(handling={"assign": ["db-self"]}), gravity_handlers=gravity)
    assert warnings and warnings[0].startswith("handling.assign: gravity starts 2 handler process(es), but db-self")
    _errors, warnings = validate(config(handling__assign=["mem-self"]))
    assert warnings and warnings[0].startswith("handling.assign: handling.processes defines handlers, but mem-self")
    assert validate(config(handling__assign=["db-preassign"])) == ([], [])
    assert validate(config(handling={}), gravity_handlers=gravity) == ([], []), "Galaxy's default feeds gravity's pools"


# -- issue 14: what Galaxy would do with it -------------------------------------------------------------------


def test_digit_string_workers_are_written_as_galaxy_types():
    """workers: "8" in job_conf.yml reaches the runner's thread pool as a str (TypeError); write an int."""
    cfg = config(runners__local__workers="8", handling__max_grab="5", handling__ready_window_size="50")
    cfg["limits"] = [
        {"type": "registered_user_concurrent_jobs", "value": "2"},
        {"type": "environment_total_concurrent_jobs", "id": "slurm", "value": "3"},
        {"type": "total_walltime", "window": "30", "value": "24:00:00"},
    ]
    assert errors_of(cfg) == []
    written = yaml.safe_load(render_yaml(cfg))
    assert written["runners"]["local"]["workers"] == 8
    assert written["handling"]["max_grab"] == 5 and written["handling"]["ready_window_size"] == 50
    assert [limit["value"] for limit in written["limits"]] == [2, 3, "24:00:00"]
    assert written["limits"][2]["window"] == 30
    assert cfg["runners"]["local"]["workers"] == "8", "the input is not modified"
    root = ET.fromstring(render_xml(cfg))  # noqa: S314 - our own output
    assert root.find("plugins/plugin[@id='local']").get("workers") == "8"


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"runners__local__workers": "eight"}, "runners.local.workers: must be a positive integer"),
        ({"runners__local__workers": 2.5}, "runners.local.workers: must be a positive integer"),
        ({"handling__max_grab": "x"}, "handling.max_grab: must be a positive integer"),
        ({"limits": [{"type": "registered_user_concurrent_jobs", "value": "2.5"}]}, "limits[0].value: must be"),
        ({"limits": [{"type": "total_walltime", "window": 0, "value": "1:00:00"}]}, "limits[0].window: must be"),
    ],
)
def test_numeric_fields_that_are_not_numbers_are_refused(changes, expected):
    errors = errors_of(config(**changes))
    assert any(e.startswith(expected) for e in errors), errors


def test_xml_illegal_characters_are_refused_with_their_path():
    cfg = config(execution__environments__slurm__native_specification="--ntasks=1\x01")
    with pytest.raises(JobConfRenderError) as caught:
        render_xml(cfg)
    assert caught.value.errors[0].startswith(
        "execution.environments.slurm.native_specification: contains the character '\\x01'"
    ), caught.value.errors
    yaml.safe_load(render_yaml(cfg))  # YAML escapes it; Galaxy reads it back
    cfg = config(execution__environments__slurm__env=[{"name": "A\x1f", "value": "v"}])
    with pytest.raises(JobConfRenderError, match=r"execution.environments.slurm.env\[0\].name: contains"):
        render_xml(cfg)


def test_xml_keeps_tabs_and_newlines():
    render_xml(config(execution__environments__slurm__native_specification="--ntasks=1\t\n--mem=10"))


def test_top_level_dynamic_is_rendered_to_xml():
    """job_config_xml_to_dict reads <plugin id="dynamic" type="runner"> (no load) as the top-level dynamic."""
    cfg = config(dynamic={"rules_module": "site.rules"})
    assert errors_of(cfg) == []
    root = ET.fromstring(render_xml(cfg))  # noqa: S314 - our own output
    plugin = root.find("plugins/plugin[@id='dynamic']")
    assert plugin is not None and "load" not in plugin.attrib and plugin.get("type") == "runner"
    assert {p.get("id"): p.text for p in plugin.findall("param")} == {"rules_module": "site.rules"}


def test_dynamic_in_two_places_is_refused():
    cfg = config(dynamic={"rules_module": "a.rules"}, runners__dynamic={"rules_module": "b.rules"})
    assert any(e.startswith("runners.dynamic: is ignored by Galaxy because the top-level") for e in errors_of(cfg))
    assert any(e.startswith("dynamic: must be a mapping") for e in errors_of(config(dynamic="tpv.rules")))
    assert any(
        e.startswith("dynamic.rules_module: 'tpv rules' is not")
        for e in errors_of(config(dynamic={"rules_module": "tpv rules"}))
    )


@pytest.mark.parametrize(
    ("changes", "path"),
    [
        ({"execution__environments__local__tags": ["a,b"]}, "execution.environments.local.tags[0]"),
        ({"execution__environments__local__tags": [" small"]}, "execution.environments.local.tags[0]"),
        ({"handling__processes__handler0__tags": ["handlers "]}, "handling.processes.handler0.tags[0]"),
        ({"resources__groups__all": ["processors", "mem,ory"]}, "resources.groups.all[1]"),
        ({"resources__groups__all": ["processors", " memory"]}, "resources.groups.all[1]"),
    ],
)
def test_commas_and_edge_spaces_are_refused_for_xml(changes, path):
    cfg = config(**changes)
    render_yaml(cfg)
    with pytest.raises(JobConfRenderError) as caught:
        render_xml(cfg)
    assert any(e.startswith(path + ": ") and "splits the attribute on ','" in e for e in caught.value.errors)


def galaxy_xml_to_dict_output():
    """What Galaxy 26.1's job_config_xml_to_dict returns for a small job_conf.xml (tests/galaxy_parser checks it)."""
    return {
        "runners": {
            "local": {"id": "local", "load": "galaxy.jobs.runners.local:LocalJobRunner", "workers": 4, "kwds": {}},
            "slurm": {"id": "slurm", "load": "galaxy.jobs.runners.slurm:SlurmJobRunner", "workers": 4, "kwds": {}},
        },
        "handling": {"processes": {"handler0": {"tags": ["handlers"]}}, "default": "handlers"},
        "execution": {
            "environments": [
                {
                    "id": "local",
                    "metrics": {"src": "default"},
                    "params": {"docker_sudo": "false"},
                    "env": [{"name": None, "file": "/etc/profile", "execute": None, "value": None, "raw": False}],
                    "runner": "local",
                },
                {
                    "id": "slurm",
                    "metrics": {"src": "default"},
                    "params": {"native_specification": "--ntasks=1", "docker_sudo": "false"},
                    "env": [],
                    "resubmit": [
                        {"condition": "walltime_reached", "environment": "local", "handler": None, "delay": None}
                    ],
                    "runner": "slurm",
                    "tags": ["cluster"],
                },
            ],
            "default": "slurm",
        },
        "resources": {"groups": {}},
        "tools": [{"class": "local", "environment": "local", "params": {}}],
        "limits": [
            {"value": "2", "type": "registered_user_concurrent_jobs"},
            {"value": "24:00:00", "type": "total_walltime", "window": "30"},
            {"value": "1", "type": "environment_user_concurrent_jobs", "id": "slurm"},
        ],
    }


def test_galaxys_own_xml_to_dict_output_is_accepted():
    assert validate(galaxy_xml_to_dict_output()) == ([], [])
    render_xml(galaxy_xml_to_dict_output())
    assert yaml.safe_load(render_yaml(galaxy_xml_to_dict_output()))["limits"][1]["window"] == 30


def test_list_form_errors_name_the_environment_id():
    cfg = galaxy_xml_to_dict_output()
    cfg["execution"]["environments"][1]["runner"] = "slurm2"
    cfg["execution"]["environments"][1]["env"] = [{"name": "A"}]
    errors = errors_of(cfg)
    assert any(e.startswith("execution.environments.slurm.runner: 'slurm2' is not a defined runner") for e in errors)
    assert any(e.startswith("execution.environments.slurm.env[0]: needs exactly one of") for e in errors)
    cfg["execution"]["environments"].append({"runner": "local"})
    assert any(e.startswith("execution.environments[2].id: each environment of a list needs") for e in errors_of(cfg))


def tpv_environment(**params):
    cfg = config()
    cfg["execution"]["environments"]["tpv"] = dict({"runner": "dynamic_tpv"}, **params)
    return cfg


def test_dynamic_and_tpv_params_are_checked():
    assert errors_of(tpv_environment(tpv_config_files=["/srv/galaxy/config/tpv/destinations.yml"])) == []
    assert errors_of(tpv_environment(tpv_config_files="https://example.org/tools.yml")) == []
    assert errors_of(tpv_environment(tpv_configs={"tools": {"default": {"cores": 1}}})) == []
    expected = [
        ({}, "execution.environments.tpv: TPV needs exactly one of tpv_config_files"),
        ({"tpv_config_files": "/a.yml", "tpv_configs": {"tools": {}}}, "execution.environments.tpv: TPV needs"),
        ({"tpv_config_files": ["/a.yml", 3]}, "execution.environments.tpv.tpv_config_files[1]: must be a path"),
        ({"tpv_config_files": "/a.yml", "function": "other"}, "execution.environments.tpv.function: Galaxy replaces"),
    ]
    for params, message in expected:
        errors = errors_of(tpv_environment(**params))
        assert any(e.startswith(message) for e in errors), (params, errors)
    cfg = config()
    environments = cfg["execution"]["environments"]
    environments["rule"] = {"runner": "dynamic", "type": "pyhton", "function": "f"}
    environments["rule2"] = {"runner": "dynamic", "function": "not a name", "rules_module": "site/rules"}
    environments["tpv2"] = {"runner": "dynamic", "function": "map_tool_to_destination", "rules_module": "tpv.rules"}
    environments["choose"] = {"runner": "dynamic", "type": "choose_one", "destination_ids": "a,b"}
    errors = errors_of(cfg)
    assert any(e.startswith("execution.environments.rule.type: 'pyhton' is not a dynamic rule type") for e in errors)
    assert any(e.startswith("execution.environments.rule2.function: 'not a name' is not") for e in errors)
    assert any(e.startswith("execution.environments.rule2.rules_module: 'site/rules' is not") for e in errors)
    assert any(e.startswith("execution.environments.tpv2: TPV needs exactly one") for e in errors)
    assert not any(e.startswith("execution.environments.choose") for e in errors), errors
    # the top-level dynamic section's rules_module applies to environments that name none
    cfg = config(dynamic={"rules_module": "tpv.rules"})
    cfg["execution"]["environments"]["tpv"] = {"runner": "dynamic", "function": "map_tool_to_destination"}
    assert any(e.startswith("execution.environments.tpv: TPV needs") for e in errors_of(cfg))


def list_config(*environments):
    cfg = config(tools=[])
    cfg["execution"] = {"default": "local", "environments": list(environments)}
    return cfg


@pytest.mark.parametrize(
    ("cfg", "expected"),
    [
        # Galaxy iterates a string's characters as tags
        (config(execution__environments__local__tags="a,b"), "execution.environments.local.tags: must be a list"),
        (config(handling__processes__handler0__tags="a,b"), "handling.processes.handler0.tags: must be a list"),
        # a later list item with the same id silently replaces the first
        (
            list_config({"id": "local", "runner": "local"}, {"id": "local", "runner": "slurm"}),
            "execution.environments[1].id: duplicate environment id 'local'",
        ),
        # flat keys beside params are dropped by Galaxy
        (config(execution__environments__slurm__params={"a": "b"}), "execution.environments.slurm: Galaxy ignores"),
        # a tag equal to another id sends that id's jobs here too
        (config(execution__environments__local__tags=["slurm"]), "execution.environments.local.tags: 'slurm' is also"),
        (config(handling__processes__handler0__tags=["handler1"]), "handling.processes.handler0.tags: 'handler1'"),
        # a limit on an id nobody has limits nothing
        (
            config(limits=[{"type": "environment_user_concurrent_jobs", "id": "nope", "value": 1}]),
            "limits[0].id: 'nope' is not a defined environment id",
        ),
        (
            config(limits=[{"type": "environment_user_concurrent_jobs", "tag": "nope", "value": 1}]),
            "limits[0].tag: 'nope' is not a defined environment id or tag",
        ),
        # a top-level typo is ignored by Galaxy
        (config(executions={}), "executions: unknown key (did you mean 'execution'?)"),
        # a handler loading a runner nobody defined
        (config(handling__processes__handler0__plugins=["nope"]), "handling.processes.handler0.plugins[0]: 'nope'"),
    ],
)
def test_what_galaxy_does_silently_wrong_is_refused(cfg, expected):
    errors = errors_of(cfg)
    assert any(e.startswith(expected) for e in errors), errors


def test_dynamic_tpv_with_a_params_mapping_is_refused_and_xml_says_its_rules():
    """_configure_from_dict sets dynamic_tpv's rules as flat keys, which a params mapping hides from Galaxy."""
    errors = errors_of(tpv_environment(params={"tpv_config_files": "/a.yml"}))
    assert any(e.startswith("execution.environments.tpv.params: Galaxy drops dynamic_tpv's rules") for e in errors)
    root = ET.fromstring(render_xml(tpv_environment(tpv_config_files="/a.yml")))  # noqa: S314 - our own output
    destination = root.find("destinations/destination[@id='tpv']")
    assert destination.get("runner") == "dynamic"
    params = {p.get("id"): p.text for p in destination.findall("param")}
    assert params["function"] == "map_tool_to_destination" and params["rules_module"] == "tpv.rules"
    assert params["type"] == "python" and params["tpv_config_files"] == "/a.yml"


# -- Pulsar: what each transport needs -----------------------------------------------------------------------

PULSAR_TOKEN = "a-pulsar-token-for-tests-1f2e"  # noqa: S105  a test value
AMQP_PASSWORD = "amqp-S3cret"  # noqa: S105  a test value


def pulsar_conf(rest_params=None, mq_runner=None, mq_params=None):
    return {
        "runners": {
            "local": {"load": "galaxy.jobs.runners.local:LocalJobRunner"},
            "pulsar_rest": {"load": "galaxy.jobs.runners.pulsar:PulsarRESTJobRunner"},
            "pulsar_mq": dict(
                {"load": "galaxy.jobs.runners.pulsar:PulsarMQJobRunner"},
                **(
                    mq_runner
                    if mq_runner is not None
                    else {
                        "amqp_url": f"amqp://galaxy:{AMQP_PASSWORD}@mq:5672//",
                        "galaxy_url": "https://galaxy.example.org",
                    }
                ),
            ),
        },
        "execution": {
            "default": "local",
            "environments": {
                "local": {"runner": "local"},
                "rest": dict(
                    {"runner": "pulsar_rest"},
                    **(
                        rest_params
                        if rest_params is not None
                        else {"url": "https://pulsar.example.org:8913/", "private_token": PULSAR_TOKEN}
                    ),
                ),
                "mq": dict(
                    {"runner": "pulsar_mq"},
                    **(mq_params if mq_params is not None else {"jobs_directory": "/var/lib/pulsar/staging"}),
                ),
            },
        },
    }


def test_pulsar_rest_and_mq_are_valid():
    assert validate(pulsar_conf()) == ([], [])


@pytest.mark.parametrize(
    "kwargs, expected",
    [
        ({"rest_params": {"private_token": PULSAR_TOKEN}}, "execution.environments.rest.url: is required"),
        (
            {"rest_params": {"url": "pulsar.example.org:8913", "private_token": PULSAR_TOKEN}},
            "execution.environments.rest.url: 'pulsar.example.org:8913' has",
        ),
        (
            {"rest_params": {"url": "ftp://pulsar/", "private_token": PULSAR_TOKEN}},
            "execution.environments.rest.url: 'ftp://pulsar/' has the scheme ftp (accepted: http, https)",
        ),
        ({"rest_params": {"url": "http://pulsar:8913/"}}, "execution.environments.rest.private_token: is required"),
        ({"mq_runner": {}}, "runners.pulsar_mq.amqp_url: is required"),
        ({"mq_runner": {"amqp_url": "mq:5672"}}, "runners.pulsar_mq.amqp_url: 'mq:5672' has no scheme"),
        ({"mq_runner": {"kwds": {"amqp_url": "http://mq/"}}}, "runners.pulsar_mq.kwds.amqp_url: 'http://mq/' has"),
        ({"mq_params": {}}, "execution.environments.mq.jobs_directory: is required by the PulsarMQJobRunner"),
    ],
)
def test_pulsar_params_each_transport_needs(kwargs, expected):
    errors = errors_of(pulsar_conf(**kwargs))
    assert len(errors) == 1 and errors[0].startswith(expected), errors


def test_pulsar_mq_without_galaxy_url_is_a_warning():
    amqp = {"amqp_url": "amqp://galaxy@mq:5672//"}
    errors, warnings = validate(pulsar_conf(mq_runner=amqp))
    assert errors == []
    assert len(warnings) == 1 and warnings[0].startswith("runners.pulsar_mq.galaxy_url: is not set"), warnings
    assert "galaxy_infrastructure_url" in warnings[0]
    errors = errors_of(pulsar_conf(mq_runner=dict(amqp, galaxy_url="galaxy.example.org")))
    assert len(errors) == 1 and errors[0].startswith("runners.pulsar_mq.galaxy_url: 'galaxy.example.org' has no scheme")


def test_pulsar_messages_never_show_the_broker_password():
    errors = errors_of(pulsar_conf(mq_runner={"amqp_url": f"http://galaxy:{AMQP_PASSWORD}@mq/"}))
    assert errors and AMQP_PASSWORD not in " ".join(errors)
    assert "http://galaxy:***@mq/" in errors[0]


def test_pulsar_mq_ignores_url_and_token_with_a_warning():
    _errors, warnings = validate(pulsar_conf(mq_params={"jobs_directory": "/srv/staging", "url": "http://x/"}))
    assert warnings == [
        "execution.environments.mq.url: is ignored by the PulsarMQJobRunner (it talks through the broker)"
    ]


def test_secrets_and_a_world_readable_mode():
    cfg = pulsar_conf()
    assert job_conf.secrets(cfg) == ["runners.pulsar_mq.amqp_url", "execution.environments.rest.private_token"]
    assert job_conf.secret_values(cfg) == {
        PULSAR_TOKEN,
        AMQP_PASSWORD,
        f"amqp://galaxy:{AMQP_PASSWORD}@mq:5672//",
    }
    message = job_conf.world_readable_secrets(cfg, "0644")
    assert message.startswith("mode: '0644' lets every account on the host read the job conf")
    assert "galaxy_jobs_conf_mode" in message and AMQP_PASSWORD not in message
    assert job_conf.world_readable_secrets(cfg, "0640") is None
    assert job_conf.world_readable_secrets(cfg, 0o644) is not None
    assert job_conf.world_readable_secrets(BASE, "0644") is None
    assert job_conf.world_readable_secrets(cfg, "u=rw,g=r") is None


def test_with_celery_metadata_moves_the_cluster_runners_metadata_step_into_celery():
    cfg = {
        "runners": {
            "local": {"load": "galaxy.jobs.runners.local:LocalJobRunner"},
            "slurm": {"load": "galaxy.jobs.runners.slurm:SlurmJobRunner"},
            "cli": {"load": "galaxy.jobs.runners.cli:ShellJobRunner"},
            "pulsar": {"load": "galaxy.jobs.runners.pulsar:PulsarRESTJobRunner"},
            "off": {"load": "galaxy.jobs.runners.drmaa:DRMAAJobRunner", "enabled": False},
        },
        "execution": {
            "default": "slurm",
            "environments": {
                "local": {"runner": "local"},
                "slurm": {"runner": "slurm", "native_specification": "--time=1:00:00"},
                "cli": {"runner": "cli", "params": {"job_plugin": "Slurm"}},
                "own": {"runner": "slurm", "embed_metadata_in_job": True},
                "pulsar": {"runner": "pulsar", "url": "https://pulsar:8913/"},
                "off": {"runner": "off"},
            },
        },
    }
    result, changed = job_conf.with_celery_metadata(cfg, "directory_celery")
    envs = result["execution"]["environments"]
    assert changed == {"slurm": "slurm", "cli": "cli"}
    assert envs["slurm"] == {
        "runner": "slurm",
        "native_specification": "--time=1:00:00",
        "embed_metadata_in_job": False,
        "metadata_strategy": "directory_celery",
    }
    assert envs["cli"]["params"] == {
        "job_plugin": "Slurm",
        "embed_metadata_in_job": False,
        "metadata_strategy": "directory_celery",
    }
    assert envs["own"] == {"runner": "slurm", "embed_metadata_in_job": True}, "an environment's own choice wins"
    for untouched in ("local", "pulsar", "off"):
        assert envs[untouched] == cfg["execution"]["environments"][untouched]
    assert "metadata_strategy" not in cfg["execution"]["environments"]["slurm"], "the input is not modified"
    assert job_conf.with_celery_metadata(cfg, None) == (cfg, {})


def test_with_celery_metadata_on_a_list_of_environments():
    cfg = {
        "runners": {"slurm": {"load": "slurm"}},
        "execution": {"default": "a", "environments": [{"id": "a", "runner": "slurm"}]},
    }
    result, changed = job_conf.with_celery_metadata(cfg, "extended_celery")
    assert changed == {"a": "slurm"}
    assert result["execution"]["environments"][0]["metadata_strategy"] == "extended_celery"
    # Galaxy's own rules accept the converted conf, and both formats render it.
    assert job_conf.validate(result)[0] == []
    assert "embed_metadata_in_job" in job_conf.render(result, "xml")
