"""Unit tests of the real-user site scripts (roles/galaxy_real_user/files/gxhpc_real_user.py).

The scripts run as root; these tests never let them switch users (the privilege drop is replaced)
and use fake account databases, so they run anywhere. The chown tests change owners for real and
therefore only run as root.
"""

import functools
import io
import json
import os
import pwd
import re
import stat
import sys

import pytest
from fake_accounts import Accounts, Gr, Pw
from real_user_lib import LIB, ROLE, import_library

lib = import_library("gxhpc_real_user")


USERS = [
    Pw("root", "x", 0, 0, "", "/root", "/bin/bash"),
    Pw("daemon", "x", 1, 1, "", "/usr/sbin", "/usr/sbin/nologin"),
    Pw("galaxy", "x", 999, 999, "", "/srv/galaxy", "/bin/bash"),
    Pw("alice", "x", 2001, 2001, "", "/home/alice", "/bin/bash"),
    Pw("bob", "x", 2002, 2002, "", "/home/bob", "/bin/bash"),
]
GROUPS = [
    Gr("root", "x", 0, []),
    Gr("galaxy", "x", 999, ["alice"]),
    Gr("alice", "x", 2001, []),
    Gr("bob", "x", 2002, []),
    Gr("lab", "x", 3000, ["alice", "bob"]),
]


@pytest.fixture(autouse=True)
def accounts(monkeypatch):
    return Accounts(USERS, GROUPS).install(monkeypatch, lib)


@pytest.fixture
def layout(root_tmp):
    # root_tmp: the chown script refuses roots below a directory others can write (such as /tmp).
    jobs = root_tmp / "jobs"
    tmp = root_tmp / "tmp"
    outside = root_tmp / "outside"
    for path in (jobs, tmp, outside):
        path.mkdir()
    config = root_tmp / "real_user.json"
    config.write_text(
        json.dumps(
            {
                "galaxy_user": "galaxy",
                "uid_min": 1000,
                "uid_max": 59999,
                "assign_all_groups": True,
                "allowed_roots": [{"path": str(jobs), "real": str(jobs)}, str(tmp)],
            }
        )
    )
    return {"jobs": jobs, "tmp": tmp, "outside": outside, "config": str(config)}


class FakeJobTemplate:
    pass


class FakeDrmaa:
    """Records what the scripts ask of DRMAA."""

    class JobControlAction:
        TERMINATE = "terminate"

    def __init__(self, job_id="4242", fail=None):
        self.job_id = job_id
        self.fail = fail
        self.calls = []
        self.templates = []
        outer = self

        class Session:
            def initialize(self):
                outer.calls.append("initialize")

            def createJobTemplate(self):  # noqa: N802 - DRMAA's name
                jt = FakeJobTemplate()
                outer.templates.append(jt)
                return jt

            def runJob(self, jt):  # noqa: N802 - DRMAA's name
                if outer.fail:
                    raise outer.fail
                outer.calls.append("runJob")
                return outer.job_id

            def deleteJobTemplate(self, jt):  # noqa: N802 - DRMAA's name
                outer.calls.append("deleteJobTemplate")

            def control(self, job_id, action):
                outer.calls.append(("control", job_id, action))

            def exit(self):
                outer.calls.append("exit")

        self.Session = Session


class Dropper:
    def __init__(self):
        self.calls = []

    def __call__(self, pw, groups):
        self.calls.append((pw.pw_name, list(groups)))


def _template(tmp_path, **extra):
    data = {
        "remoteCommand": "/srv/jobs/000/1/galaxy_1.sh",
        "jobName": "g1_cat1",
        "workingDirectory": "/srv/jobs/000/1",
        "outputPath": ":/srv/jobs/000/1/galaxy_1.o",
        "errorPath": ":/srv/jobs/000/1/galaxy_1.e",
        "nativeSpecification": "--time=00:05:00",
    }
    data.update(extra)
    path = tmp_path / "1.jt_json"
    path.write_text(json.dumps(data))
    return str(path)


# --- runner -----------------------------------------------------------------------------------------


def run_runner(argv, layout, drmaa=None, drop=None):
    out, err = io.StringIO(), io.StringIO()
    drmaa = drmaa or FakeDrmaa()
    drop = drop or Dropper()
    code = lib.runner_main(
        argv, config_file=layout["config"], stdout=out, stderr=err, drop=drop, drmaa_loader=lambda config: drmaa
    )
    return code, out.getvalue(), err.getvalue(), drmaa, drop


def test_runner_prints_only_the_job_id(tmp_path, layout, accounts):
    code, out, err, drmaa, drop = run_runner(["2001", _template(tmp_path)], layout)
    assert code == 0, err
    assert out == "4242\n"
    assert drop.calls == [("alice", [2001])]
    assert drmaa.calls == ["initialize", "runJob", "deleteJobTemplate", "exit"]
    jt = drmaa.templates[0]
    assert jt.remoteCommand == "/srv/jobs/000/1/galaxy_1.sh"
    assert jt.nativeSpecification == "--time=00:05:00"
    assert any("job '4242'" in message for _ident, message in accounts)


def test_runner_accepts_a_user_name(tmp_path, layout):
    code, out, _err, _drmaa, drop = run_runner(["bob", _template(tmp_path)], layout)
    assert code == 0
    assert drop.calls == [("bob", [2002])]


def test_runner_assign_all_groups(tmp_path, layout):
    code, out, _err, _drmaa, drop = run_runner(["--assign_all_groups", "alice", _template(tmp_path)], layout)
    assert code == 0
    assert drop.calls == [("alice", [2001, 999, 3000])]


def test_runner_refuses_the_galaxy_user(tmp_path, layout):
    """A service account (and one below 1000): jobs only run as people."""
    code, _out, err, _drmaa, drop = run_runner(["999", _template(tmp_path)], layout)
    assert code == lib.EXIT_REFUSED
    assert drop.calls == [] and "service account" in err


@pytest.mark.parametrize("user", ["0", "root", "1", "daemon"])
def test_runner_refuses_root_and_system_accounts(tmp_path, layout, user):
    code, out, err, drmaa, drop = run_runner([user, _template(tmp_path)], layout)
    assert code == lib.EXIT_REFUSED
    assert out == ""
    assert "refus" in err
    assert drop.calls == [] and drmaa.calls == []


@pytest.mark.parametrize("user", ["4711", "nosuchuser", "-1", "al ice", "../x", "", "alice\n", "2001\n"])
def test_runner_refuses_unknown_users(tmp_path, layout, user):
    code, out, _err, drmaa, drop = run_runner([user, _template(tmp_path)], layout)
    assert code == lib.EXIT_REFUSED
    assert out == "" and drop.calls == []


def test_runner_respects_a_higher_min_uid(tmp_path, layout):
    with open(layout["config"], "w") as handle:
        json.dump({"galaxy_user": "galaxy", "uid_min": 2002, "allowed_roots": [str(layout["jobs"])]}, handle)
    assert run_runner(["alice", _template(tmp_path)], layout)[0] == lib.EXIT_REFUSED
    assert run_runner(["bob", _template(tmp_path)], layout)[0] == 0


@pytest.mark.parametrize(
    "argv",
    [[], ["2001"], ["2001", "a", "b"], ["--assign-all-groups", "2001", "t"], ["--assign", "2001", "t"]],
)
def test_runner_argument_errors(layout, argv, capsys):
    code, out, _err, drmaa, drop = run_runner(argv, layout)
    assert code == lib.EXIT_USAGE
    assert out == "" and drop.calls == [] and drmaa.calls == []
    assert "usage:" in capsys.readouterr().err


def test_runner_missing_template(tmp_path, layout):
    code, out, err, drmaa, drop = run_runner(["2001", str(tmp_path / "missing.json")], layout)
    assert code == lib.EXIT_FAILED
    assert out == "" and drmaa.calls == []
    assert "cannot read the job template" in err


@pytest.mark.parametrize(
    "content",
    ["not json", "[1, 2]", json.dumps({"jobName": "x"}), json.dumps({"remoteCommand": ["a"]})],
)
def test_runner_bad_templates(tmp_path, layout, content):
    path = tmp_path / "bad.json"
    path.write_text(content)
    code, out, _err, drmaa, _drop = run_runner(["2001", str(path)], layout)
    assert code == lib.EXIT_FAILED
    assert out == "" and "runJob" not in drmaa.calls


def test_runner_ignores_unknown_template_attributes(tmp_path, layout):
    code, out, err, drmaa, _drop = run_runner(["2001", _template(tmp_path, hardWallclockTimeLimit="x", evil=1)], layout)
    assert code == 0
    assert not hasattr(drmaa.templates[0], "evil")
    assert "unknown job template attribute 'evil'" in err


def test_runner_reports_drm_errors(tmp_path, layout):
    code, out, err, drmaa, _drop = run_runner(
        ["2001", _template(tmp_path)], layout, drmaa=FakeDrmaa(fail=RuntimeError("boom"))
    )
    assert code == lib.EXIT_FAILED
    assert out == ""
    assert "boom" in err
    assert drmaa.calls[-2:] == ["deleteJobTemplate", "exit"]


def test_runner_drops_privileges_before_reading_the_template(tmp_path, layout):
    order = []

    def drop(pw, groups):
        order.append("drop")

    real_load = lib.load_job_template

    def load(path, log):
        order.append("template")
        return real_load(path, log)

    def loader(config):
        order.append("drmaa")
        return FakeDrmaa()

    lib_load = lib.load_job_template
    lib.load_job_template = load
    try:
        code = lib.runner_main(
            ["2001", _template(tmp_path)],
            config_file=layout["config"],
            stdout=io.StringIO(),
            stderr=io.StringIO(),
            drop=drop,
            drmaa_loader=loader,
        )
    finally:
        lib.load_job_template = lib_load
    assert code == 0
    assert order == ["drop", "template", "drmaa"]


def test_runner_bad_config(tmp_path, layout):
    with open(layout["config"], "w") as handle:
        json.dump({"galaxy_user": "galaxy", "uid_min": 0}, handle)
    code, out, err, _drmaa, drop = run_runner(["2001", _template(tmp_path)], layout)
    assert code == lib.EXIT_FAILED
    assert "uid_min" in err and drop.calls == []


# --- killer -----------------------------------------------------------------------------------------


def run_killer(argv, layout, drmaa=None):
    err = io.StringIO()
    drmaa = drmaa or FakeDrmaa()
    drop = Dropper()
    code = lib.killer_main(argv, config_file=layout["config"], stderr=err, drop=drop, drmaa_loader=lambda c: drmaa)
    return code, err.getvalue(), drmaa, drop


def test_killer_terminates_as_the_user(layout, accounts):
    code, err, drmaa, drop = run_killer(["12345", "2001"], layout)
    assert code == 0, err
    assert drop.calls == [("alice", [2001])]
    assert ("control", "12345", "terminate") in drmaa.calls
    assert any("terminated job '12345'" in message for _ident, message in accounts)


@pytest.mark.parametrize("job_id", ["--help-me", "1;rm -rf /", "", "a b", "$(id)", "12345\n", "-1"])
def test_killer_refuses_odd_job_ids(layout, job_id):
    code, _err, drmaa, drop = run_killer(["--", job_id, "2001"], layout)
    assert code == lib.EXIT_REFUSED
    assert drop.calls == [] and drmaa.calls == []


@pytest.mark.parametrize("user", ["0", "root", "1", "None"])
def test_killer_refuses_root_system_and_unknown_users(layout, user):
    code, _err, drmaa, drop = run_killer(["12345", user], layout)
    assert code == lib.EXIT_REFUSED
    assert drop.calls == [] and drmaa.calls == []


@pytest.mark.parametrize("argv", [[], ["12345"], ["12345", "2001", "extra"]])
def test_killer_argument_errors(layout, argv):
    code, _err, drmaa, drop = run_killer(argv, layout)
    assert code == lib.EXIT_USAGE
    assert drop.calls == []


# --- chown ------------------------------------------------------------------------------------------

needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="changing owners needs root")


def run_chown(argv, layout):
    err = io.StringIO()
    code = lib.chown_main(argv, config_file=layout["config"], stderr=err)
    return code, err.getvalue()


def _working_dir(layout, owner=999, group=999):
    wd = layout["jobs"] / "000" / "17"
    (wd / "outputs").mkdir(parents=True)
    (wd / "outputs" / "dataset_1.dat").write_text("data")
    (wd / "galaxy_17.sh").write_text("#!/bin/sh\n")
    for path in (layout["jobs"] / "000", wd, wd / "outputs", wd / "outputs" / "dataset_1.dat", wd / "galaxy_17.sh"):
        os.chown(path, owner, group)
    return wd


@needs_root
def test_chown_hands_a_working_directory_over_and_back(layout, accounts):
    wd = _working_dir(layout)
    code, err = run_chown([str(wd), "alice", "2001"], layout)
    assert code == 0, err
    for path in (wd, wd / "outputs", wd / "outputs" / "dataset_1.dat", wd / "galaxy_17.sh"):
        st = os.lstat(path)
        assert (st.st_uid, st.st_gid) == (2001, 2001)
    assert os.lstat(layout["jobs"] / "000").st_uid == 999
    # and back to the Galaxy user when the job is done
    code, err = run_chown([str(wd), "galaxy", "999"], layout)
    assert code == 0, err
    assert os.lstat(wd / "outputs" / "dataset_1.dat").st_uid == 999
    assert any("changed %r to 'alice':2001" % str(wd) in message for _ident, message in accounts)


@needs_root
def test_chown_accepts_a_supplementary_group_of_the_user(layout):
    wd = _working_dir(layout)
    assert run_chown([str(wd), "alice", "3000"], layout)[0] == 0
    assert os.lstat(wd).st_gid == 3000


@needs_root
def test_chown_in_new_file_path(layout):
    path = layout["tmp"] / "upload_1.dat"
    path.write_text("x")
    os.chown(path, 999, 999)
    assert run_chown([str(path), "alice", "2001"], layout)[0] == 0
    assert os.lstat(path).st_uid == 2001


@pytest.mark.parametrize("target", ["/etc/passwd", "/etc", "/", "/root", "relative/path", ""])
def test_chown_refuses_system_paths(layout, target):
    before = os.lstat("/etc/passwd")
    code, err = run_chown([target, "alice", "2001"], layout)
    assert code == lib.EXIT_REFUSED
    assert "refused" in err
    after = os.lstat("/etc/passwd")
    assert (before.st_uid, before.st_gid) == (after.st_uid, after.st_gid)


def test_chown_refuses_paths_outside_the_roots(layout):
    victim = layout["outside"] / "victim"
    victim.write_text("x")
    code, err = run_chown([str(victim), "alice", "2001"], layout)
    assert code == lib.EXIT_REFUSED
    assert "outside the allowed roots" in err
    assert os.lstat(victim).st_uid == os.geteuid()


@pytest.mark.parametrize("relative", ["", "/", "/.", "/000/..", "/../jobs"])
def test_chown_refuses_the_roots_themselves(layout, relative):
    code, _err = run_chown([str(layout["jobs"]) + relative, "alice", "2001"], layout)
    assert code == lib.EXIT_REFUSED


def test_chown_refuses_dot_dot_escapes(layout):
    code, err = run_chown([str(layout["jobs"] / ".." / "outside"), "alice", "2001"], layout)
    assert code == lib.EXIT_REFUSED


def test_chown_refuses_a_symlink_escaping_a_working_directory(layout):
    wd = layout["jobs"] / "000" / "18"
    wd.mkdir(parents=True)
    (wd / "escape").symlink_to("/etc")
    (wd / "passwd").symlink_to("/etc/passwd")
    before = os.lstat("/etc/passwd")
    for target in (wd / "escape", wd / "passwd", wd / "escape" / "passwd"):
        code, err = run_chown([str(target), "alice", "2001"], layout)
        assert code == lib.EXIT_REFUSED, target
        assert "symlink" in err
    assert os.lstat("/etc/passwd").st_uid == before.st_uid


def test_chown_refuses_a_root_reached_through_a_symlinked_root(tmp_path, layout):
    # A working directory that is itself a symlink out of the roots resolves outside them.
    (layout["jobs"] / "link").symlink_to(layout["outside"])
    code, _err = run_chown([str(layout["jobs"] / "link"), "alice", "2001"], layout)
    assert code == lib.EXIT_REFUSED


def test_open_below_refuses_a_symlink_on_the_way(root_tmp):
    """A directory on the way below a root swapped for a symlink: the descriptor walk does not follow it."""
    (root_tmp / "real").mkdir()
    (root_tmp / "real" / "wd").mkdir()
    top = os.open(str(root_tmp), os.O_RDONLY | os.O_DIRECTORY)
    try:
        parent, entry = lib.open_below(top, ["real", "wd"], "real/wd")
        os.close(parent)
        os.close(entry)
        (root_tmp / "swapped").symlink_to(root_tmp / "real")
        with pytest.raises(lib.Refused, match="without following a symlink"):
            lib.open_below(top, ["swapped", "wd"], "swapped/wd")
    finally:
        os.close(top)


def test_open_root_refuses_a_symlinked_root(root_tmp):
    (root_tmp / "real").mkdir()
    (root_tmp / "link").symlink_to(root_tmp / "real")
    root = {"path": str(root_tmp / "link"), "real": str(root_tmp / "link")}
    with pytest.raises(lib.Refused, match="without following a symlink"):
        lib.open_root(root, 4242, {4242})
    os.close(lib.open_root({"path": "/x", "real": str(root_tmp / "real")}, 4242, {4242}))


@needs_root
def test_chown_does_not_follow_symlinks_inside_the_tree(layout):
    wd = _working_dir(layout)
    victim = layout["outside"] / "victim"
    victim.write_text("x")
    os.chown(victim, 2002, 2002)
    (wd / "link_to_victim").symlink_to(victim)
    (wd / "link_to_outside").symlink_to(layout["outside"])
    for link in (wd / "link_to_victim", wd / "link_to_outside"):
        os.lchown(link, 999, 999)
    code, err = run_chown([str(wd), "alice", "2001"], layout)
    assert code == 0, err
    assert os.lstat(victim).st_uid == 2002
    assert os.lstat(layout["outside"]).st_uid == os.geteuid()
    # the links themselves change hands (like chown -h)
    assert os.lstat(wd / "link_to_victim").st_uid == 2001


@needs_root
def test_chown_leaves_root_and_system_files_alone(layout):
    wd = _working_dir(layout)
    hardlink = wd / "outputs" / "root_owned"
    hardlink.write_text("secret")
    os.chown(hardlink, 0, 0)
    system = wd / "outputs" / "daemon_owned"
    system.write_text("x")
    os.chown(system, 1, 1)
    code, err = run_chown([str(wd), "alice", "2001"], layout)
    assert code == 0
    assert os.lstat(hardlink).st_uid == 0
    assert os.lstat(system).st_uid == 1
    assert "not changing" in err


@pytest.mark.parametrize(
    "user,gid,reason",
    [
        ("root", "0", "gid 0"),
        ("0", "1", "root"),
        ("daemon", "1", "outside the uid range"),
        ("alice", "0", "gid 0"),
        ("alice", "2002", "not a member"),
        ("alice", "abc", "not a group id"),
        ("alice", "-1", "not a group id"),
        ("alice", "55555", "no group"),
        ("nosuchuser", "2001", "no user"),
    ],
)
def test_chown_refuses_bad_owners(layout, user, gid, reason):
    wd = layout["jobs"] / "000" / "19"
    wd.mkdir(parents=True)
    before = os.lstat(wd)
    code, err = run_chown([str(wd), user, gid], layout)
    assert code == lib.EXIT_REFUSED
    assert reason in err
    after = os.lstat(wd)
    assert (before.st_uid, before.st_gid) == (after.st_uid, after.st_gid)


@pytest.mark.parametrize("argv", [[], ["/x"], ["/x", "alice"], ["/x", "alice", "1", "extra"]])
def test_chown_argument_errors(layout, argv):
    assert run_chown(argv, layout)[0] == lib.EXIT_USAGE


def test_chown_refuses_without_roots(tmp_path, layout):
    with open(layout["config"], "w") as handle:
        json.dump({"galaxy_user": "galaxy", "allowed_roots": []}, handle)
    code, err = run_chown([str(layout["jobs"] / "x"), "alice", "2001"], layout)
    assert code == lib.EXIT_REFUSED


# --- what the three scripts share -------------------------------------------------------------------


def _run_each(script, layout, tmp_path):
    """Run one of the three scripts on valid arguments; ``(code, stderr, drop)``."""
    if script == "runner":
        code, _out, err, _drmaa, drop = run_runner(["2001", _template(tmp_path)], layout)
    elif script == "killer":
        code, err, _drmaa, drop = run_killer(["12345", "2001"], layout)
    else:
        code, err = run_chown([str(layout["jobs"] / "000" / "17"), "alice", "2001"], layout)
        drop = Dropper()
    return code, err, drop


VERBS = {"runner": "submit", "killer": "kill", "chown": "chown"}


@pytest.mark.parametrize("script", sorted(VERBS))
def test_each_script_stops_at_bad_settings_before_doing_anything(tmp_path, layout, script, monkeypatch):
    """Settings that fail to load stop every script before it looks up a user or drops privileges."""
    with open(layout["config"], "w") as handle:
        json.dump({"galaxy_user": "galaxy", "uid_min": 0}, handle)
    looked_up = []
    monkeypatch.setattr(lib, "lookup_user", looked_up.append)
    monkeypatch.setattr(lib, "confine", lambda path, roots: looked_up.append(path))
    code, err, drop = _run_each(script, layout, tmp_path)
    assert code == lib.EXIT_FAILED
    assert err.count("\n") == 1 and f"{VERBS[script]} failed: " in err and "uid_min" in err
    assert looked_up == [] and drop.calls == []


@pytest.mark.parametrize("script", sorted(VERBS))
def test_each_script_reports_an_unexpected_error_in_one_line_without_a_traceback(tmp_path, layout, script, monkeypatch):
    """Galaxy (the hostile caller) gets an exit code and one line, never a traceback with the script's internals."""

    def boom(*args):
        raise RuntimeError("boom\nsecond line")

    monkeypatch.setattr(lib, "lookup_user", boom)
    monkeypatch.setattr(lib, "confine", boom)
    code, err, drop = _run_each(script, layout, tmp_path)
    assert code == lib.EXIT_FAILED
    assert "Traceback" not in err and err.count("\n") == 1, err
    assert " failed: RuntimeError: " in err and "boom" in err
    assert drop.calls == []


# --- configuration ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data,message",
    [
        ([], "JSON object"),
        ({"min_uid": 1000}, "galaxy_user"),
        ({"galaxy_user": "gal axy"}, "galaxy_user"),
        ({"galaxy_user": "galaxy", "uid_min": 0}, "uid_min"),
        ({"galaxy_user": "galaxy", "uid_min": True}, "uid_min"),
        ({"galaxy_user": "galaxy", "uid_max": 2**40}, "uid_max"),
        ({"galaxy_user": "galaxy", "uid_min": 5000, "uid_max": 4000}, "empty"),
        ({"galaxy_user": "galaxy", "allowed_roots": [{"path": "/a/../b", "real": "/b"}]}, "allowed_roots"),
        ({"galaxy_user": "galaxy", "assign_all_groups": "yes"}, "assign_all_groups"),
        ({"galaxy_user": "galaxy", "denied_users": ["bad name"]}, "denied_users"),
        ({"galaxy_user": "galaxy", "allowed_roots": ["relative"]}, "allowed_roots"),
        ({"galaxy_user": "galaxy", "allowed_roots": ["/"]}, "allowed_roots"),
        ({"galaxy_user": "galaxy", "allowed_roots": "/srv"}, "allowed_roots"),
        ({"galaxy_user": "galaxy", "drmaa_library_path": "lib.so"}, "drmaa_library_path"),
        ({"galaxy_user": "galaxy", "drmaa_python_path": ["rel"]}, "drmaa_python_path"),
        ({"galaxy_user": "galaxy", "syslog_facility": "kern"}, "syslog_facility"),
    ],
)
def test_config_validation(data, message):
    with pytest.raises(lib.Failed, match=message):
        lib.Config.from_dict(data)


def test_config_refuses_files_others_can_write(tmp_path):
    path = tmp_path / "real_user.json"
    path.write_text(json.dumps({"galaxy_user": "galaxy"}))
    os.chmod(path, 0o664)
    with pytest.raises(lib.Failed, match="owned by root"):
        lib._check_root_owned(os.stat(path), str(path))
    os.chmod(path, 0o644)
    if os.geteuid() == 0:
        lib._check_root_owned(os.stat(path), str(path))
    # /tmp is world-writable, so a config below it is refused by the full check
    with pytest.raises(lib.Failed, match="owned by root"):
        functools.partial(lib.load_config.func, require_root_owned=True)(str(path))


def test_config_refuses_a_symlinked_file(tmp_path):
    real = tmp_path / "real.json"
    real.write_text(json.dumps({"galaxy_user": "galaxy"}))
    link = tmp_path / "link.json"
    link.symlink_to(real)
    with pytest.raises(lib.Failed, match="cannot open"):
        lib.load_config(str(link))


def test_drop_privileges_refuses_when_not_permitted(monkeypatch):
    def denied(*args):
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(lib.os, "setgroups", denied)
    with pytest.raises(lib.Failed, match="permission denied"):
        lib.drop_privileges(USERS[3], [2001])


# --- the installed entry points ---------------------------------------------------------------------


@pytest.mark.parametrize("name", ["gxhpc_drmaa_runner.py.j2", "gxhpc_drmaa_killer.py.j2", "gxhpc_chown.py.j2"])
def test_entry_points_run_python_isolated(name):
    with open(os.path.join(ROLE, "templates", name)) as handle:
        first = handle.readline()
    # The shebang is rendered from an expression so that the template file itself has none.
    assert first == '{{ "#!" ~ galaxy_real_user_python }} -I\n'


def test_library_has_no_shebang_and_imports_only_the_standard_library():
    with open(LIB) as handle:
        text = handle.read()
    assert not text.startswith("#!")
    assert "import drmaa" in text  # only inside import_drmaa(), after the privilege drop
    stdlib = set(getattr(sys, "stdlib_module_names", ())) or None
    for line in text.splitlines():
        match = re.match(r"^import (\w+)$", line)
        if match:
            module = match.group(1)
            if stdlib is not None:
                assert module in stdlib, module
    assert stat.S_IMODE(os.stat(LIB).st_mode) & 0o111 == 0
    assert pwd  # the real module is what the installed scripts use
