"""The pulsar role's plan: every problem named by its variable, secrets never in a message, app.yml as
Pulsar reads it, the packages and the command for each transport."""

import os

import pytest
import yaml

from ansible_collections.gxhpc.cluster.plugins.filter.pulsar import FilterModule
from ansible_collections.gxhpc.cluster.plugins.module_utils.pulsar_plan import (
    plan,
    problems,
)
from ansible_collections.gxhpc.cluster.plugins.module_utils.urls import url_problem, url_without_password

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))))
TOKEN = "t0ken-for-the-unit-tests-7c1e"
MQ_PASSWORD = "mq-S3cret-pw"  # noqa: S105  a test value


def defaults(**changes):
    with open(os.path.join(ROOT, "roles", "pulsar", "defaults", "main.yml"), encoding="utf-8") as handle:
        settings = yaml.safe_load(handle)
    settings["pulsar_drmaa_library_path"] = "/usr/local/lib/libdrmaa.so.1"
    settings["pulsar_private_token"] = TOKEN
    settings.update(changes)
    return settings


def test_the_defaults_with_a_token_are_a_plan():
    result = plan(defaults())
    assert result["problems"] == []
    assert result["app_config"] == {
        "staging_directory": "/var/lib/pulsar/staging",
        "persistence_directory": "/var/lib/pulsar/persisted_data",
        "private_token": TOKEN,
        "managers": {"_default_": {"type": "queued_drmaa"}},
    }
    assert result["pip_packages"] == ["pulsar-app[web]==0.16.0", "drmaa==0.7.9"]
    assert result["exec_start"] == "/opt/pulsar/venv/bin/pulsar-serve /etc/pulsar/server.ini"
    assert result["server_ini"] == {
        "server:main": {"host": "0.0.0.0", "port": "8913"},  # noqa: S104
        "app:main": {"app_config": "/etc/pulsar/app.yml"},
    }


def test_the_filter_is_the_plan():
    assert FilterModule().filters()["pulsar_plan"](defaults()) == plan(defaults())


def test_mq_uses_the_broker_and_no_web_server():
    url = f"amqp://pulsar:{MQ_PASSWORD}@broker.example.org:5672//"
    result = plan(defaults(pulsar_transport="mq", pulsar_private_token="", pulsar_message_queue_url=url))
    assert result["problems"] == []
    assert result["app_config"]["message_queue_url"] == url
    assert "private_token" not in result["app_config"]
    assert result["pip_packages"][0] == "pulsar-app[amqp]==0.16.0"
    assert result["exec_start"] == (
        "/opt/pulsar/venv/bin/pulsar-main --config_dir /etc/pulsar --app_conf_path /etc/pulsar/app.yml"
    )


def test_cli_manager_with_the_slurm_plugin_and_options():
    result = plan(
        defaults(
            pulsar_manager="cli",
            pulsar_native_specification="--partition=main",
            pulsar_manager_options={"min_polling_interval": 1},
            pulsar_app_config_extra={"assign_ids": "uuid"},
        )
    )
    assert result["app_config"]["managers"]["_default_"] == {
        "type": "queued_cli",
        "job_plugin": "Slurm",
        "shell_plugin": "LocalShell",
        "native_specification": "--partition=main",
        "min_polling_interval": 1,
    }
    assert result["app_config"]["assign_ids"] == "uuid"
    assert result["pip_packages"] == ["pulsar-app[web]==0.16.0"]


@pytest.mark.parametrize(
    "changes, variable, words",
    [
        ({"pulsar_private_token": ""}, "pulsar_private_token", "must be set with pulsar_transport rest"),
        ({"pulsar_private_token": "short"}, "pulsar_private_token", "at least 16 characters"),
        ({"pulsar_transport": "mq"}, "pulsar_message_queue_url", "must be set"),
        (
            {"pulsar_transport": "mq", "pulsar_message_queue_url": "broker.example.org:5672"},
            "pulsar_message_queue_url",
            "has no scheme",
        ),
        (
            {"pulsar_transport": "mq", "pulsar_message_queue_url": "http://broker.example.org/"},
            "pulsar_message_queue_url",
            "accepted: amqp, amqps, pyamqp",
        ),
        ({"pulsar_message_queue_url": "amqp://broker/"}, "pulsar_message_queue_url", "pulsar_transport is rest"),
        ({"pulsar_transport": "http"}, "pulsar_transport", "accepted: rest, mq"),
        ({"pulsar_manager": "pbs"}, "pulsar_manager", "accepted: drmaa, cli"),
        ({"pulsar_version": "latest"}, "pulsar_version", "pinned"),
        ({"pulsar_user": "root"}, "pulsar_user", "system or service account"),
        ({"pulsar_user": "galaxy"}, "pulsar_user", "system or service account"),
        ({"pulsar_group": "bad name"}, "pulsar_group", "not an account name"),
        ({"pulsar_venv": "opt/pulsar"}, "pulsar_venv", "absolute path"),
        ({"pulsar_staging_directory": "/var/lib/../staging"}, "pulsar_staging_directory", "plain components"),
        ({"pulsar_staging_directory": "/opt/pulsar/venv/staging"}, "pulsar_staging_directory", "overlaps pulsar_venv"),
        ({"pulsar_home": "/etc/pulsar"}, "pulsar_home", "overlaps pulsar_config_dir"),
        ({"pulsar_port": 0}, "pulsar_port", "not a TCP port"),
        ({"pulsar_port": "8913"}, "pulsar_port", "not a TCP port"),
        ({"pulsar_bind_host": "a b"}, "pulsar_bind_host", "host name or address"),
        ({"pulsar_drmaa_library_path": "libdrmaa.so"}, "pulsar_drmaa_library_path", "absolute path"),
        ({"pulsar_manager": "cli", "pulsar_cli_job_plugin": "Torque"}, "pulsar_cli_job_plugin", "SlurmTorque"),
        ({"pulsar_native_specification": "--a\n--b"}, "pulsar_native_specification", "one line"),
        ({"pulsar_manager_options": {"type": "queued_python"}}, "pulsar_manager_options", "must not set type"),
        ({"pulsar_app_config_extra": {"private_token": "x"}}, "pulsar_app_config_extra", "private_token"),
        ({"pulsar_app_config_extra": []}, "pulsar_app_config_extra", "mapping"),
    ],
)
def test_each_problem_names_its_variable(changes, variable, words):
    found = problems(defaults(**changes))
    assert len(found) == 1, found
    assert found[0].startswith(variable + ":"), found
    assert words in found[0], found
    assert plan(defaults(**changes)) == {"problems": found}


def test_every_problem_at_once():
    found = problems(defaults(pulsar_private_token="", pulsar_user="root", pulsar_port=-1))
    assert [p.split(":")[0] for p in found] == ["pulsar_user", "pulsar_private_token", "pulsar_port"]


def test_no_message_shows_the_token_or_a_broker_password():
    settings = defaults(
        pulsar_private_token="x" * 3 + TOKEN[:5],
        pulsar_transport="mq",
        pulsar_message_queue_url=f"http://pulsar:{MQ_PASSWORD}@broker/",
    )
    text = " ".join(problems(settings))
    assert "pulsar_message_queue_url" in text
    assert MQ_PASSWORD not in text
    text = " ".join(problems(defaults(pulsar_private_token=TOKEN + " x")))
    assert "pulsar_private_token" in text and TOKEN not in text


def test_url_helpers():
    assert url_without_password(f"amqp://u:{MQ_PASSWORD}@h:5672//") == "amqp://u:***@h:5672//"
    assert url_without_password("amqp://h//") == "amqp://h//"
    assert url_problem("amqp://h:5672//", ("amqp",)) is None
    assert "names no host" in url_problem("amqp:///vhost", ("amqp",))
    assert "not a URL" in url_problem("amqp://h:port//", ("amqp",))
