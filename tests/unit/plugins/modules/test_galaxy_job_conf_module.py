"""The galaxy_job_conf module: writes, check mode, diff, failures leave the file byte-identical."""

import json
import os
import stat

import pytest
import yaml
from ansible.module_utils import basic
from module_harness import raise_on_exit, run_main

from ansible_collections.gxhpc.cluster.plugins.modules import galaxy_job_conf

CONFIG = {
    "runners": {
        "local": {"load": "galaxy.jobs.runners.local:LocalJobRunner", "workers": 4},
        "slurm": {
            "load": "galaxy.jobs.runners.slurm:SlurmJobRunner",
            "drmaa_library_path": "/usr/lib/slurm-drmaa/lib/libdrmaa.so.1",
        },
    },
    "execution": {
        "default": "slurm",
        "environments": {"local": {"runner": "local"}, "slurm": {"runner": "slurm", "native_specification": "-n 1"}},
    },
}
BAD = {
    "runners": {"local": {"load": "galaxy.jobs.runners.local:LocalJobRunner"}, "slurm": {"load": "slurm"}},
    "handling": {"assign": ["db-skip-locked"]},
    "execution": {"default": "big", "environments": {"big": {"runner": "slurm2"}, "local": {"runner": "local"}}},
}
ORIGINAL = b"# hand-written, must survive a failed run\r\nrunners: {}\n"


@pytest.fixture(autouse=True)
def _no_exit(monkeypatch):
    raise_on_exit(monkeypatch)


def run(args, check_mode=False):
    return run_main(galaxy_job_conf.main, args, check_mode)


def test_writes_yaml_then_is_idempotent(tmp_path):
    dest = tmp_path / "job_conf.yml"
    first = run({"config": CONFIG, "dest": str(dest), "mode": "0640"})
    assert not first.failed and first.result["changed"], first.result
    assert first.result["format"] == "yaml"
    assert yaml.safe_load(dest.read_text()) == CONFIG
    assert stat.S_IMODE(os.stat(dest).st_mode) == 0o640
    assert first.result["drmaa_runners"] == ["slurm"]
    assert first.result["drmaa_library_paths"] == {"slurm": "/usr/lib/slurm-drmaa/lib/libdrmaa.so.1"}
    second = run({"config": CONFIG, "dest": str(dest), "mode": "0640"})
    assert not second.failed and not second.result["changed"]


def test_writes_xml_by_file_name(tmp_path):
    dest = tmp_path / "job_conf.xml"
    result = run({"config": CONFIG, "dest": str(dest)}).result
    assert result["format"] == "xml"
    assert dest.read_text().startswith('<?xml version="1.0"?>\n<job_conf>')


def test_check_mode_diff_and_no_write(tmp_path):
    dest = tmp_path / "job_conf.yml"
    dest.write_bytes(ORIGINAL)
    result = run({"config": CONFIG, "dest": str(dest)}, check_mode=True).result
    assert result["changed"]
    assert result["diff"]["before"] == ORIGINAL.decode()
    assert "SlurmJobRunner" in result["diff"]["after"]
    assert dest.read_bytes() == ORIGINAL


def test_check_mode_missing_file(tmp_path):
    dest = tmp_path / "job_conf.yml"
    result = run({"config": CONFIG, "dest": str(dest), "mode": "0600"}, check_mode=True).result
    assert result["changed"] and not dest.exists()


@pytest.mark.parametrize("check_mode", [False, True])
def test_invalid_config_fails_with_every_error_and_leaves_file(tmp_path, check_mode):
    dest = tmp_path / "job_conf.yml"
    dest.write_bytes(ORIGINAL)
    os.chmod(dest, 0o600)
    out = run({"config": BAD, "dest": str(dest), "mode": "0644", "backup": True}, check_mode=check_mode)
    assert out.failed
    errors = out.result["errors"]
    assert any(e.startswith("execution.environments.big.runner: 'slurm2' is not a defined runner") for e in errors)
    assert any(e.startswith("handling.assign: db-skip-locked needs job handler processes") for e in errors)
    assert "invalid Galaxy job configuration (2 errors)" in out.result["msg"]
    assert dest.read_bytes() == ORIGINAL
    assert stat.S_IMODE(os.stat(dest).st_mode) == 0o600, "a failed run changes nothing, not even the mode"
    assert os.listdir(tmp_path) == ["job_conf.yml"], "no backup, no temporary file"


def test_xml_only_render_error_leaves_file(tmp_path):
    dest = tmp_path / "job_conf.xml"
    dest.write_bytes(ORIGINAL)
    config = json.loads(json.dumps(CONFIG))
    config["execution"]["environments"]["local"]["shell"] = "/bin/bash"
    out = run({"config": config, "dest": str(dest)})
    assert out.failed
    assert out.result["errors"] == [
        "execution.environments.local.shell: Galaxy's XML parser ignores a destination's shell; use format yaml"
    ]
    assert dest.read_bytes() == ORIGINAL


def test_format_must_match_what_galaxy_will_parse(tmp_path):
    out = run({"config": CONFIG, "dest": str(tmp_path / "job_conf.xml"), "format": "yaml"})
    assert out.failed
    assert out.result["errors"][0].startswith("dest: Galaxy parses")


def test_sqlite_database_connection(tmp_path):
    config = dict(CONFIG, handling={"assign": ["db-skip-locked"], "processes": {"handler0": None}})
    args = {"config": config, "dest": str(tmp_path / "job_conf.yml")}
    out = run(dict(args, database_connection="sqlite:///universe.sqlite"))
    assert out.failed and any("SQLite" in e for e in out.result["errors"])
    assert not run(dict(args, database_connection="postgresql:///galaxy")).failed


def test_gravity_handlers(tmp_path):
    config = dict(CONFIG, handling={"assign": ["db-skip-locked"]})
    args = {"config": config, "dest": str(tmp_path / "job_conf.yml")}
    assert run(args).failed
    assert not run(dict(args, gravity_handlers={"handler": {"processes": 2, "pools": ["job-handlers"]}})).failed


def test_warning_for_site_runner(tmp_path, monkeypatch):
    warnings = []
    monkeypatch.setattr(basic.AnsibleModule, "warn", lambda self, msg: warnings.append(msg))
    config = json.loads(json.dumps(CONFIG))
    config["runners"]["site"] = {"load": "mysite.runners:FancyRunner"}
    out = run({"config": config, "dest": str(tmp_path / "job_conf.yml")})
    assert not out.failed
    assert warnings and warnings[0].startswith("runners.site.load:")


def test_validate_only_writes_nothing(tmp_path):
    dest = tmp_path / "job_conf.yml"
    result = run({"config": CONFIG, "dest": str(dest), "validate_only": True}).result
    assert not result["changed"] and not dest.exists()


def test_backup(tmp_path):
    dest = tmp_path / "job_conf.yml"
    dest.write_bytes(ORIGINAL)
    result = run({"config": CONFIG, "dest": str(dest), "backup": True}).result
    with open(result["backup_file"], "rb") as handle:
        assert handle.read() == ORIGINAL


def test_drmaa_library_path_is_added_to_drmaa_runners(tmp_path):
    dest = tmp_path / "job_conf.yml"
    config = json.loads(json.dumps(CONFIG))
    del config["runners"]["slurm"]["drmaa_library_path"]
    result = run({"config": config, "dest": str(dest), "drmaa_library_path": "/usr/local/lib/libdrmaa.so.1"}).result
    written = yaml.safe_load(dest.read_text())
    assert written["runners"]["slurm"]["drmaa_library_path"] == "/usr/local/lib/libdrmaa.so.1"
    assert "drmaa_library_path" not in written["runners"]["local"]
    assert result["drmaa_library_paths"] == {"slurm": "/usr/local/lib/libdrmaa.so.1"}


def test_validate_only_without_pyyaml(tmp_path, monkeypatch):
    monkeypatch.setattr(galaxy_job_conf, "HAS_YAML", False)
    out = run({"config": CONFIG, "dest": str(tmp_path / "job_conf.yml"), "validate_only": True})
    assert not out.failed and out.result["drmaa_runners"] == ["slurm"]
    out = run({"config": CONFIG, "dest": str(tmp_path / "job_conf.yml")})
    assert out.failed and "PyYAML" in out.result["msg"]


PULSAR_TOKEN = "module-test-pulsar-token-9a8b"  # noqa: S105  a test value
PULSAR_CONFIG = {
    "runners": {"pulsar": {"load": "galaxy.jobs.runners.pulsar:PulsarRESTJobRunner"}},
    "execution": {
        "default": "pulsar",
        "environments": {"pulsar": {"runner": "pulsar", "url": "http://pulsar:8913/", "private_token": PULSAR_TOKEN}},
    },
}


def _sanitized(monkeypatch):
    """Make exit_json and fail_json return what Ansible would print: the result with no_log values masked."""
    from module_harness import ModuleExit

    def exit_json(self, **kwargs):
        raise ModuleExit(basic.remove_values(kwargs, self.no_log_values), False)

    def fail_json(self, msg, **kwargs):
        raise ModuleExit(basic.remove_values(dict(kwargs, msg=msg), self.no_log_values), True)

    monkeypatch.setattr(basic.AnsibleModule, "exit_json", exit_json)
    monkeypatch.setattr(basic.AnsibleModule, "fail_json", fail_json)


def test_pulsar_token_is_masked_in_the_result_and_diff(tmp_path, monkeypatch):
    _sanitized(monkeypatch)
    dest = tmp_path / "job_conf.yml"
    first = run({"config": PULSAR_CONFIG, "dest": str(dest), "mode": "0640"})
    assert not first.failed, first.result
    assert PULSAR_TOKEN in dest.read_text()
    assert "private_token" in first.result["diff"]["after"]
    assert PULSAR_TOKEN not in json.dumps(first.result)


def test_world_readable_job_conf_with_a_token_is_refused_before_writing(tmp_path, monkeypatch):
    _sanitized(monkeypatch)
    dest = tmp_path / "job_conf.yml"
    failed = run({"config": PULSAR_CONFIG, "dest": str(dest), "mode": "0644", "validate_only": True})
    assert failed.failed
    assert "mode: '0644' lets every account on the host read the job conf" in failed.result["msg"]
    assert PULSAR_TOKEN not in json.dumps(failed.result)
    assert not dest.exists()


AMQP_PASSWORD = "module-test-amqp-pw-47c1"  # noqa: S105  a test value
PULSAR_BOTH = {
    "runners": {
        "pulsar": {"load": "galaxy.jobs.runners.pulsar:PulsarRESTJobRunner"},
        "pulsar_mq": {
            "load": "galaxy.jobs.runners.pulsar:PulsarMQJobRunner",
            "amqp_url": f"amqp://galaxy:{AMQP_PASSWORD}@broker.example.org:5672/pulsar",
        },
    },
    "execution": {
        "default": "pulsar",
        "environments": {
            "pulsar": {"runner": "pulsar", "url": "http://pulsar:8913/", "private_token": PULSAR_TOKEN},
            "pulsar_mq": {"runner": "pulsar_mq", "jobs_directory": "/var/lib/pulsar/staging"},
        },
    },
}


@pytest.mark.parametrize("validate_only", [True, False])
def test_the_invocation_logged_on_the_host_holds_no_token_or_broker_password(tmp_path, monkeypatch, validate_only):
    """AnsibleModule writes "Invoked with config=..." to the host's journal as it starts: the token and the
    broker password must be masked there too (the token was logged in clear)."""
    logged = []
    monkeypatch.setattr(basic.AnsibleModule, "log", lambda self, msg, log_args=None: logged.append(msg))
    dest = tmp_path / "job_conf.yml"
    result = run({"config": PULSAR_BOTH, "dest": str(dest), "mode": "0640", "validate_only": validate_only})
    assert not result.failed, result.result
    invocation = [msg for msg in logged if msg.startswith("Invoked")]
    assert invocation and "pulsar_mq" in invocation[0]
    assert PULSAR_TOKEN not in "".join(logged)
    assert AMQP_PASSWORD not in "".join(logged)


@pytest.mark.parametrize("mode", ["0644", "0604", "0666"])
def test_a_broker_password_in_a_job_conf_others_can_read_is_refused_before_writing(tmp_path, monkeypatch, mode):
    _sanitized(monkeypatch)
    config = {
        "runners": {"pulsar_mq": PULSAR_BOTH["runners"]["pulsar_mq"]},
        "execution": {
            "default": "pulsar_mq",
            "environments": {"pulsar_mq": PULSAR_BOTH["execution"]["environments"]["pulsar_mq"]},
        },
    }
    dest = tmp_path / "job_conf.yml"
    failed = run({"config": config, "dest": str(dest), "mode": mode, "validate_only": True})
    assert failed.failed
    assert f"mode: '{mode}' lets every account on the host read the job conf" in failed.result["msg"]
    assert "runners.pulsar_mq.amqp_url" in failed.result["msg"]
    assert "galaxy_jobs_conf_mode" in failed.result["msg"]
    assert AMQP_PASSWORD not in json.dumps(failed.result)
    assert not dest.exists()
