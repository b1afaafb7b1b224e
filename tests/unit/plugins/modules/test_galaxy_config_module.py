"""The galaxy_config module: writes, check mode, diff, backup, owner/mode, failures."""

import os
import stat

import pytest
from module_harness import raise_on_exit, run_main

from ansible_collections.gxhpc.cluster.plugins.modules import galaxy_config


@pytest.fixture(autouse=True)
def _no_exit(monkeypatch):
    raise_on_exit(monkeypatch)


def run(args, check_mode=False):
    return run_main(galaxy_config.main, args, check_mode)


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
