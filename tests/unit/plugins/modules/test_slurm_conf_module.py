"""The slurm_conf module: writes, idempotence, check and diff mode, restart or reconfigure, directories, backup."""

import os
import stat

import pytest
from module_harness import raise_on_exit, run_main

from ansible_collections.gxhpc.cluster.plugins.modules import slurm_conf

CONFIG = {"ClusterName": "gxhpc", "SlurmctldHost": "ctl", "SelectType": "select/cons_tres"}
NODES = [{"name": "exec1", "CPUs": 2}]


@pytest.fixture(autouse=True)
def _no_exit(monkeypatch):
    raise_on_exit(monkeypatch)


def run(args, check_mode=False, diff=False):
    if diff:
        args = dict(args, _ansible_diff=True)
    return run_main(slurm_conf.main, args, check_mode)


def args_for(dest, **extra):
    return dict({"dest": str(dest), "config": CONFIG, "nodes": NODES, "mode": "0640"}, **extra)


def test_creates_the_file_then_is_idempotent(tmp_path):
    dest = tmp_path / "slurm.conf"
    first = run(args_for(dest))
    assert not first.failed and first.result["changed"]
    assert "ClusterName=gxhpc" in dest.read_text() and "NodeName=exec1 CPUs=2" in dest.read_text()
    assert stat.S_IMODE(os.stat(dest).st_mode) == 0o640
    # A new file is started, not reconfigured.
    assert first.result["restart_required"] is False
    assert first.result["directories_changed"] is False
    second = run(args_for(dest))
    assert not second.failed and not second.result["changed"]
    assert second.result["changed_keys"] == [] and not second.result["nodes_changed"]


def test_a_changed_select_type_asks_for_a_restart_a_changed_log_level_does_not(tmp_path):
    dest = tmp_path / "slurm.conf"
    run(args_for(dest))
    debug = run(args_for(dest, config=dict(CONFIG, SlurmctldDebug="verbose"))).result
    assert debug["changed"] and debug["changed_keys"] == ["slurmctlddebug"] and not debug["restart_required"]
    select = run(args_for(dest, config=dict(CONFIG, SlurmctldDebug="verbose", SelectType="select/linear"))).result
    assert select["changed"] and select["restart_required"]


def test_nodes_changed(tmp_path):
    dest = tmp_path / "slurm.conf"
    run(args_for(dest))
    result = run(args_for(dest, nodes=[{"name": "exec1", "CPUs": 4}])).result
    assert result["changed"] and result["nodes_changed"] and not result["partitions_changed"]


def test_check_mode_writes_nothing_and_gives_the_diff_only_with_diff(tmp_path):
    dest = tmp_path / "slurm.conf"
    run(args_for(dest))
    before = dest.read_text()
    changed = args_for(dest, config=dict(CONFIG, ClusterName="other"))
    plain = run(changed, check_mode=True).result
    assert plain["changed"] and "diff" not in plain
    with_diff = run(changed, check_mode=True, diff=True).result
    assert with_diff["changed"]
    assert with_diff["diff"]["before"] == before and "ClusterName=other" in with_diff["diff"]["after"]
    assert with_diff["diff"]["before_header"] == str(dest) == with_diff["diff"]["after_header"]
    assert dest.read_text() == before
    # Nothing to change: no diff even with --diff.
    assert "diff" not in run(args_for(dest), diff=True).result


def test_check_mode_on_a_missing_file_and_directory_creates_nothing(tmp_path):
    dest = tmp_path / "etc" / "slurm" / "slurm.conf"
    directory = {"path": str(tmp_path / "etc" / "slurm"), "mode": "0755"}
    result = run(args_for(dest, directories=[directory]), check_mode=True).result
    assert result["changed"] and result["directories_changed"]
    assert not (tmp_path / "etc").exists()


def test_creates_its_directories_then_the_file(tmp_path):
    directory = tmp_path / "etc" / "slurm"
    dest = directory / "slurm.conf"
    result = run(args_for(dest, directories=[{"path": str(directory), "mode": "0750"}])).result
    assert result["changed"] and result["directories_changed"]
    assert stat.S_IMODE(os.stat(directory).st_mode) == 0o750 and dest.exists()


def test_a_directory_change_alone_is_a_change(tmp_path):
    directory = tmp_path / "spool"
    directory.mkdir(mode=0o700)
    dest = tmp_path / "slurm.conf"
    run(args_for(dest))
    result = run(args_for(dest, directories=[{"path": str(directory), "mode": "0755"}])).result
    assert result["changed"] and result["directories_changed"] and result["changed_keys"] == []


def test_a_missing_directory_fails_naming_it(tmp_path):
    dest = tmp_path / "missing" / "slurm.conf"
    failed = run(args_for(dest))
    assert failed.failed and str(tmp_path / "missing") in failed.result["msg"]
    assert "does not exist" in failed.result["msg"]
    assert not (tmp_path / "missing").exists()


def test_backup_keeps_the_old_file(tmp_path):
    dest = tmp_path / "slurm.conf"
    run(args_for(dest))
    before = dest.read_text()
    result = run(args_for(dest, config=dict(CONFIG, ClusterName="other"), backup=True)).result
    assert result["changed"]
    with open(result["backup_file"], encoding="utf-8") as handle:
        assert handle.read() == before


def test_a_mode_change_alone_is_a_change(tmp_path):
    dest = tmp_path / "slurm.conf"
    run(args_for(dest))
    result = run(args_for(dest, mode="0600")).result
    assert result["changed"] and result["changed_keys"] == []
    assert stat.S_IMODE(os.stat(dest).st_mode) == 0o600


def test_a_bad_setting_fails_before_writing(tmp_path):
    dest = tmp_path / "slurm.conf"
    failed = run(args_for(dest, config={"Bad Name": "x"}))
    assert failed.failed and "Bad Name" in failed.result["msg"]
    assert not dest.exists()
