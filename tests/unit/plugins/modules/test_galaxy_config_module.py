"""The galaxy_config module: writes, check mode, diff, backup, owner/mode, failures."""

import json
import os
import stat

import pytest
from ansible.module_utils import basic
from ansible.module_utils.testing import patch_module_args

from ansible_collections.gxhpc.cluster.plugins.modules import galaxy_config


class ModuleExit(Exception):
    def __init__(self, result, failed):
        super().__init__(json.dumps(result, default=str))
        self.result = result
        self.failed = failed


@pytest.fixture(autouse=True)
def _no_exit(monkeypatch):
    def exit_json(self, **kwargs):
        raise ModuleExit(kwargs, False)

    def fail_json(self, msg, **kwargs):
        kwargs["msg"] = msg
        raise ModuleExit(kwargs, True)

    monkeypatch.setattr(basic.AnsibleModule, "exit_json", exit_json)
    monkeypatch.setattr(basic.AnsibleModule, "fail_json", fail_json)


def run(args, check_mode=False):
    if check_mode:
        args = dict(args, _ansible_check_mode=True)
    with patch_module_args(args), pytest.raises(ModuleExit) as info:
        galaxy_config.main()
    return info.value


def test_creates_file_then_is_idempotent(tmp_path):
    path = tmp_path / "galaxy.yml"
    args = {"path": str(path), "settings": {"galaxy": {"job_config_file": "/x/job_conf.yml"}}, "mode": "0640"}
    first = run(args)
    assert not first.failed and first.result["changed"]
    assert "job_config_file: /x/job_conf.yml" in path.read_text()
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o640
    second = run(args)
    assert not second.failed and not second.result["changed"]


def test_check_mode_reports_diff_and_writes_nothing(tmp_path):
    path = tmp_path / "galaxy.yml"
    path.write_text("galaxy:\n  brand: x\n")
    result = run({"path": str(path), "settings": {"galaxy": {"brand": "y"}}}, check_mode=True).result
    assert result["changed"]
    assert result["diff"]["before"] == "galaxy:\n  brand: x\n"
    assert "brand: y" in result["diff"]["after"]
    assert path.read_text() == "galaxy:\n  brand: x\n"


def test_check_mode_on_missing_file_creates_nothing(tmp_path):
    path = tmp_path / "galaxy.yml"
    result = run({"path": str(path), "settings": {"galaxy": {"a": 1}}, "mode": "0600"}, check_mode=True).result
    assert result["changed"]
    assert not path.exists()


def test_backup(tmp_path):
    path = tmp_path / "galaxy.yml"
    path.write_text("galaxy:\n  brand: x\n")
    result = run({"path": str(path), "settings": {"galaxy": {"brand": "y"}}, "backup": True}).result
    assert result["changed"]
    with open(result["backup_file"]) as handle:
        assert handle.read() == "galaxy:\n  brand: x\n"


def test_mode_only_change(tmp_path):
    path = tmp_path / "galaxy.yml"
    path.write_text("galaxy:\n  brand: x\n")
    os.chmod(path, 0o644)
    result = run({"path": str(path), "settings": {"galaxy": {"brand": "x"}}, "mode": "0600"}).result
    assert result["changed"] and not result["content_changed"]
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert path.read_text() == "galaxy:\n  brand: x\n"


def test_missing_file_without_create_fails(tmp_path):
    out = run({"path": str(tmp_path / "galaxy.yml"), "settings": {"galaxy": {"a": 1}}, "create": False})
    assert out.failed and "create is false" in out.result["msg"]


def test_broken_file_fails_and_is_untouched(tmp_path):
    path = tmp_path / "galaxy.yml"
    path.write_bytes(b"galaxy: [\n")
    out = run({"path": str(path), "settings": {"galaxy": {"a": 1}}})
    assert out.failed and "not valid YAML" in out.result["msg"]
    assert path.read_bytes() == b"galaxy: [\n"


def test_unset(tmp_path):
    path = tmp_path / "galaxy.yml"
    path.write_text("galaxy:\n  job_config: {}\n  brand: x\n")
    result = run({"path": str(path), "unset": {"galaxy": ["job_config"]}}).result
    assert result["changed"]
    assert path.read_text() == "galaxy:\n  brand: x\n"
