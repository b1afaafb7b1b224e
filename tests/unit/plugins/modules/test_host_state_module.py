"""The host_state module reads this machine: users, groups, files, directories and commands, never changing them."""

import grp
import os
import pwd

import pytest
from module_harness import raise_on_exit, run_main

from ansible_collections.gxhpc.cluster.plugins.filter.host_state import host_file_ok, host_path_ok
from ansible_collections.gxhpc.cluster.plugins.modules import host_state

ME = pwd.getpwuid(os.getuid())
MY_GROUP = grp.getgrgid(os.getgid()).gr_name


@pytest.fixture(autouse=True)
def _no_exit(monkeypatch):
    raise_on_exit(monkeypatch)


def test_reads_without_changing(tmp_path):
    conf = tmp_path / "slurmd"
    conf.write_text("SLURMD_OPTIONS=\n")
    conf.chmod(0o640)
    (tmp_path / "src").mkdir()
    (tmp_path / "src").chmod(0o755)
    result = run_main(
        host_state.main,
        {
            "groups": [{"name": MY_GROUP, "gid": os.getgid()}, {"name": "gxhpc-no-such-group"}],
            "users": [
                {"name": ME.pw_name, "uid": ME.pw_uid, "group": MY_GROUP, "home": ME.pw_dir},
                {"name": ME.pw_name, "shell": "/gxhpc/no/shell"},
                {"name": "gxhpc-no-such-user"},
            ],
            "directories": [{"path": str(tmp_path / "src"), "mode": "0755"}, {"path": str(conf)}],
            "read": [str(conf), str(tmp_path / "missing")],
            "commands": {"echo": ["echo", "hello"], "none": ["gxhpc-no-such-command"]},
        },
        check_mode=True,
    )
    assert not result.failed
    r = result.result
    assert r["changed"] is False
    assert r["groups_ok"] == {MY_GROUP: True, "gxhpc-no-such-group": False}
    # The same user twice: the last entry's answer (one shell is wrong).
    assert r["users_ok"] == {ME.pw_name: False, "gxhpc-no-such-user": False}
    assert r["directories_ok"] == {str(tmp_path / "src"): True, str(conf): False}
    assert r["contents"] == {str(conf): "SLURMD_OPTIONS=\n"}
    assert r["stats"][str(conf)] == {"kind": "file", "owner": ME.pw_name, "group": MY_GROUP, "mode": "0640"}
    assert r["commands"]["echo"]["rc"] == 0 and r["commands"]["echo"]["stdout"] == "hello\n"
    assert r["commands"]["none"]["rc"] == 127
    assert r["packages_ok"] is True and r["packages_missing"] == []
    assert host_file_ok(r, str(conf), "SLURMD_OPTIONS=\n", ME.pw_name, MY_GROUP, "0640")
    assert not host_file_ok(r, str(conf), "SLURMD_OPTIONS=\n", ME.pw_name, MY_GROUP, "0644")
    # The same stats without the content (a tarball copied from the controller: checksums compared beside it).
    assert host_path_ok(r, str(conf), "file", ME.pw_name, MY_GROUP, "0640")
    assert not host_path_ok(r, str(conf), "file", ME.pw_name, MY_GROUP, "0644")
    assert not host_path_ok(r, str(conf), "directory")


def test_user_ok_for_own_user():
    result = run_main(host_state.main, {"users": [{"name": ME.pw_name, "uid": ME.pw_uid, "shell": ME.pw_shell}]})
    assert result.result["users_ok"] == {ME.pw_name: True}


def test_unknown_packages_and_units_are_not_ok():
    result = run_main(host_state.main, {"packages": ["gxhpc-no-such-package"], "services": ["gxhpc-no-such-unit"]})
    assert result.result["packages_ok"] is False
    assert result.result["packages_missing"] == ["gxhpc-no-such-package"]
    assert result.result["services_ok"] == {"gxhpc-no-such-unit": False}
