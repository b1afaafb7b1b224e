"""The attacks of issue 12, one regression test each, against the real-user site scripts.

Two harnesses:

- ``installed``: the three entry points rendered from the role's templates and the library copied
  into a root-owned directory tree (as the role installs them), with a root-owned settings file, run
  as separate processes with ``python3 -I`` as sudo would run them. Real accounts of this host only:
  ``daemon`` plays the Galaxy user (a system account, like Galaxy's), ``nobody`` is 65534. Needs root.
- in-process, with fake account databases (the ``fake_accounts`` fixture), for the accounts a
  Slurm/Galaxy host has (slurm 64030, munge, mysql, galaxy, alice) and to step into the middle of a
  chown (the time-of-check/time-of-use race, made deterministic).

Each test failed on the code before issue 12's fix (noted per test).
"""

import io
import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile

import jinja2
import pytest
from fake_accounts import Accounts, Gr, Pw
from real_user_lib import LIB, ROLE, import_library

ENTRY_POINTS = {"runner": "gxhpc_drmaa_runner.py", "killer": "gxhpc_drmaa_killer.py", "chown": "gxhpc_chown.py"}

needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="installed like the role installs them: needs root")


lib = import_library("gxhpc_real_user_attacks")

# --- installed harness ------------------------------------------------------------------------------


class Installed:
    """A root-owned tree: <base>/scripts (entry points + library), <base>/etc/real_user.json, <base>/srv/galaxy."""

    def __init__(self, base):
        self.base = base
        self.scripts = os.path.join(base, "scripts")
        self.config = os.path.join(base, "etc", "real_user.json")
        self.galaxy = os.path.join(base, "srv", "galaxy")
        self.jobs = os.path.join(self.galaxy, "jobs")
        self.tmp = os.path.join(self.galaxy, "tmp")
        for path in (self.scripts, os.path.dirname(self.config), self.jobs, self.tmp):
            os.makedirs(path, mode=0o755, exist_ok=True)
        os.chmod(self.tmp, 0o1777)  # noqa: S103 - a tree like the role's
        shutil.copy(LIB, os.path.join(self.scripts, "gxhpc_real_user.py"))
        env = jinja2.Environment(  # noqa: S701 - not HTML
            loader=jinja2.FileSystemLoader(os.path.join(ROLE, "templates")), keep_trailing_newline=True
        )
        env.filters["comment"] = lambda text: "#\n# %s\n#" % text
        for name in ENTRY_POINTS.values():
            text = env.get_template(name + ".j2").render(
                galaxy_real_user_python=sys.executable,
                galaxy_real_user_config_file=self.config,
                ansible_managed="Ansible managed",
            )
            path = os.path.join(self.scripts, name)
            with open(path, "w") as handle:
                handle.write(text)
            os.chmod(path, 0o755)  # noqa: S103 - a tree like the role's
        self.write_settings()

    def write_settings(self, **overrides):
        settings = {
            "galaxy_user": "daemon",
            "uid_min": 1000,
            "uid_max": 59999,
            "gid_min": 1000,
            "gid_max": 59999,
            "denied_users": ["slurm", "munge", "mysql"],
            "allowed_roots": [self.jobs, self.tmp],
            # the keys of the settings before issue 12, which that code needs
            "min_uid": 1000,
        }
        settings.update(overrides)
        with open(self.config, "w") as handle:
            json.dump(settings, handle)
        os.chmod(self.config, 0o644)

    def run(self, script, *argv):
        return subprocess.run(
            [sys.executable, "-I", os.path.join(self.scripts, ENTRY_POINTS[script]), *argv],
            capture_output=True,
            text=True,
            check=False,
            env={"PATH": "/usr/bin:/bin", "SUDO_USER": "daemon"},
        )


@pytest.fixture
def installed():
    # Below /run or /var/lib (root-owned, 0755) rather than /tmp (1777), which the scripts refuse.
    parent = next((p for p in ("/run", "/var/lib", "/var/cache") if os.path.isdir(p) and os.access(p, os.W_OK)), None)
    if parent is None:
        pytest.skip("no root-owned 0755 directory writable here (/run, /var/lib, /var/cache)")
    base = tempfile.mkdtemp(prefix="gxhpc-attacks-", dir=parent)
    os.chmod(base, 0o755)  # noqa: S103 - a tree like the role's
    try:
        yield Installed(base)
    finally:
        shutil.rmtree(base, ignore_errors=True)


def _no_traceback(result):
    assert "Traceback" not in result.stderr, result.stderr
    assert result.returncode in (lib.EXIT_REFUSED, lib.EXIT_USAGE, lib.EXIT_FAILED), result


# Attack 1: nobody (65534) as job user and as chown target. Failed before: the runner only had a
# minimum uid, so 65534 passed (it got as far as loading DRMAA, exit 3), and chown handed files to it.
@needs_root
def test_attack1_runner_refuses_nobody(installed):
    template = os.path.join(installed.jobs, "jt.json")
    with open(template, "w") as handle:
        json.dump({"remoteCommand": "/bin/true"}, handle)
    for user in ("nobody", "65534"):
        result = installed.run("runner", user, template)
        assert result.returncode == lib.EXIT_REFUSED, result
        assert result.stdout == ""


@needs_root
def test_attack1_chown_refuses_nobody(installed):
    wd = os.path.join(installed.jobs, "1")
    os.mkdir(wd)
    os.chown(wd, 1, 1)
    result = installed.run("chown", wd, "nobody", "65534")
    assert result.returncode == lib.EXIT_REFUSED, result
    assert os.lstat(wd).st_uid == 1


# Attack 2: an allowed root swapped for a symlink while its parent belongs to the Galaxy user.
# Failed before: the roots were realpath-ed at every call, so /srv/galaxy/tmp -> /home was followed
# and /home/bob handed to the Galaxy user.
@needs_root
def test_attack2_chown_refuses_a_root_swapped_for_a_symlink(installed):
    home = os.path.join(installed.base, "home")
    bob = os.path.join(home, "bob")
    os.makedirs(bob)
    os.chown(bob, 2002, 2002)
    os.chown(installed.galaxy, 1, 1)  # the Galaxy user owns the directory above the roots
    os.rename(installed.tmp, os.path.join(installed.galaxy, "tmp.moved"))
    os.symlink(home, installed.tmp)
    result = installed.run("chown", os.path.join(installed.tmp, "bob"), "daemon", "1")
    assert os.lstat(bob).st_uid == 2002, result
    assert result.returncode == lib.EXIT_REFUSED, result


@needs_root
def test_attack2_chown_refuses_when_a_parent_of_a_root_is_galaxy_writable(installed):
    wd = os.path.join(installed.jobs, "2")
    os.mkdir(wd)
    os.chown(wd, 1, 1)
    os.chown(installed.galaxy, 1, 1)
    result = installed.run("chown", wd, "daemon", "1")
    assert result.returncode == lib.EXIT_REFUSED, result
    assert "writable" in result.stderr and repr(installed.galaxy) in result.stderr


@needs_root
def test_chown_hands_back_to_the_galaxy_user_when_the_chain_is_root_owned(installed):
    wd = os.path.join(installed.jobs, "3")
    os.mkdir(wd)
    with open(os.path.join(wd, "out.dat"), "w") as handle:
        handle.write("x")
    os.chown(wd, 2001, 2001)
    os.chown(os.path.join(wd, "out.dat"), 2001, 2001)
    result = installed.run("chown", wd, "daemon", "1")
    assert result.returncode == 0, result
    assert os.lstat(os.path.join(wd, "out.dat")).st_uid == 1


# Attack 7: a user name like '²' or a 20-digit gid crashed with a traceback; a newline in a path
# forged a second log line. Failed before: ValueError from int('²') and OverflowError from getgrgid.
@needs_root
@pytest.mark.parametrize(
    "script,argv",
    [
        ("runner", ["²", "/nonexistent.json"]),
        ("killer", ["12345", "²"]),
        ("chown", ["/x", "²", "1"]),
        ("chown", ["/x", "daemon", "9" * 20]),
        ("chown", ["/x", "daemon", "²"]),
        ("runner", ["9" * 20, "/nonexistent.json"]),
    ],
)
def test_attack7_odd_input_is_refused_without_a_traceback(installed, script, argv):
    if script == "chown":
        argv = [os.path.join(installed.jobs, "7")] + argv[1:]
        os.makedirs(argv[0], exist_ok=True)
    result = installed.run(script, *argv)
    _no_traceback(result)
    assert result.returncode == lib.EXIT_REFUSED


@needs_root
def test_attack7_a_newline_in_a_path_cannot_forge_a_log_line(installed):
    result = installed.run("chown", installed.jobs + "/x\ngxhpc_chown: changed /etc/shadow", "daemon", "1")
    _no_traceback(result)
    assert all(line.startswith("gxhpc_chown: ") for line in result.stderr.splitlines()), result.stderr
    assert "\\n" in result.stderr


# --- in-process harness with the accounts of a Slurm and Galaxy host --------------------------------

USERS = [
    Pw("root", "x", 0, 0, "", "/root", "/bin/bash"),
    Pw("munge", "x", 105, 107, "", "/nonexistent", "/usr/sbin/nologin"),
    Pw("mysql", "x", 106, 108, "", "/nonexistent", "/bin/false"),
    Pw("galaxy", "x", 997, 997, "", "/srv/galaxy", "/bin/bash"),
    Pw("alice", "x", 2001, 2001, "", "/home/alice", "/bin/bash"),
    Pw("slurm", "x", 64030, 64030, "", "/nonexistent", "/usr/sbin/nologin"),
    Pw("nobody", "x", 65534, 65534, "", "/nonexistent", "/usr/sbin/nologin"),
    # a second name for uid 2001 that is a service account's name
    Pw("svc", "x", 1500, 1500, "", "/", "/bin/false"),
]
GROUPS = [
    Gr("root", "x", 0, []),
    Gr("munge", "x", 107, []),
    Gr("mysql", "x", 108, []),
    Gr("galaxy", "x", 997, ["alice"]),
    Gr("alice", "x", 2001, []),
    Gr("slurm", "x", 64030, ["alice"]),
    Gr("nogroup", "x", 65534, []),
    Gr("svc", "x", 1500, []),
    Gr("lab", "x", 3000, ["alice"]),
]


ACCOUNTS = Accounts(USERS, GROUPS)


@pytest.fixture
def fake_accounts(monkeypatch):
    ACCOUNTS.install(monkeypatch, lib)


@pytest.fixture
def settings(root_tmp):
    jobs = root_tmp / "jobs"
    jobs.mkdir()
    path = root_tmp / "real_user.json"
    data = {
        "galaxy_user": "galaxy",
        "min_uid": 1000,
        "uid_min": 1000,
        "uid_max": 59999,
        "gid_min": 1000,
        "gid_max": 59999,
        "denied_users": ["slurm", "munge", "mysql", "svc"],
        "allowed_roots": [str(jobs)],
    }
    path.write_text(json.dumps(data))
    return {"path": str(path), "jobs": jobs, "data": data}


class Dropper:
    def __init__(self):
        self.calls = []

    def __call__(self, pw, groups):
        self.calls.append(pw.pw_name)


def _runner(argv, settings):
    drop = Dropper()
    err = io.StringIO()

    def no_drmaa(config):
        raise AssertionError("DRMAA loaded")

    code = lib.runner_main(
        argv, config_file=settings["path"], stdout=io.StringIO(), stderr=err, drop=drop, drmaa_loader=no_drmaa
    )
    return code, err.getvalue(), drop


# Attack 1: a job as the collection's slurm account (uid 64030), which could then submit as root.
# Failed before: 64030 >= min_uid 1000 was accepted (the drop happened, as slurm).
@pytest.mark.parametrize("user", ["slurm", "64030", "munge", "mysql", "galaxy", "997", "nobody", "65534", "svc"])
def test_attack1_runner_refuses_service_accounts(fake_accounts, settings, tmp_path, user):
    template = tmp_path / "jt.json"
    template.write_text(json.dumps({"remoteCommand": "/bin/true"}))
    code, err, drop = _runner([user, str(template)], settings)
    assert code == lib.EXIT_REFUSED, err
    assert drop.calls == []


@pytest.mark.parametrize("user", ["slurm", "munge", "nobody", "galaxy"])
def test_attack1_killer_refuses_service_accounts(fake_accounts, settings, user):
    drop = Dropper()
    code = lib.killer_main(
        ["12345", user], config_file=settings["path"], stderr=io.StringIO(), drop=drop, drmaa_loader=None
    )
    assert code == lib.EXIT_REFUSED
    assert drop.calls == []


@pytest.mark.parametrize(
    "user,gid",
    [("slurm", "64030"), ("nobody", "65534"), ("munge", "107"), ("alice", "64030"), ("alice", "997"), ("svc", "1500")],
)
def test_attack1_chown_refuses_service_targets(fake_accounts, settings, user, gid):
    wd = settings["jobs"] / "1"
    wd.mkdir()
    before = os.lstat(wd)
    code = lib.chown_main([str(wd), user, gid], config_file=settings["path"], stderr=io.StringIO())
    assert code == lib.EXIT_REFUSED
    assert os.lstat(wd).st_uid == before.st_uid


def test_attack1_allowed_groups(fake_accounts, settings, tmp_path):
    settings["data"]["allowed_groups"] = ["lab"]
    template = tmp_path / "jt.json"
    template.write_text(json.dumps({"remoteCommand": "/bin/true"}))
    with open(settings["path"], "w") as handle:
        json.dump(settings["data"], handle)
    config = lib.load_config(settings["path"])
    lib.check_job_user(ACCOUNTS.getpwnam("alice"), config)
    settings["data"]["allowed_groups"] = ["nosuchgroup"]
    with open(settings["path"], "w") as handle:
        json.dump(settings["data"], handle)
    with pytest.raises(lib.Refused, match="allowed_groups"):
        lib.check_job_user(ACCOUNTS.getpwnam("alice"), lib.load_config(settings["path"]))


# Item 7: --assign_all_groups must be refused when the settings do not allow it. Failed before: the
# flag was taken from the caller as given.
def test_attack7_assign_all_groups_is_enforced(fake_accounts, settings, tmp_path):
    template = tmp_path / "jt.json"
    template.write_text(json.dumps({"remoteCommand": "/bin/true"}))
    settings["data"]["assign_all_groups"] = False
    with open(settings["path"], "w") as handle:
        json.dump(settings["data"], handle)
    code, err, drop = _runner(["--assign_all_groups", "alice", str(template)], settings)
    assert code == lib.EXIT_REFUSED, err
    assert "assign_all_groups" in err and drop.calls == []


# Attack 3: a root-owned 0600 file moved into the job directory between the owner check and the
# chown. Failed before: the owner was checked with stat(name) and changed with chown(name), so the
# file swapped in between was handed over. Here the swap happens exactly between the two steps.
@pytest.mark.skipif(os.geteuid() != 0, reason="changing owners needs root")
def test_attack3_chown_changes_the_checked_file_not_a_swapped_one(fake_accounts, settings, tmp_path, monkeypatch):
    wd = settings["jobs"] / "3"
    wd.mkdir()
    os.chown(wd, 997, 997)
    victim_dir = tmp_path / "root_only"
    victim_dir.mkdir(mode=0o700)
    secret = victim_dir / "secret"
    secret.write_text("root's")
    os.chmod(secret, 0o600)
    output = wd / "output.dat"
    output.write_text("galaxy's")
    os.chown(output, 997, 997)
    real_decision = lib.owner_may_change
    swapped = []

    def decide_then_swap(*args, **kwargs):
        verdict = real_decision(*args, **kwargs)
        if not swapped and os.path.exists(output):
            os.rename(output, tmp_path / "output.moved")
            os.rename(secret, output)  # the attacker's swap, right after the check
            swapped.append(True)
        return verdict

    monkeypatch.setattr(lib, "owner_may_change", decide_then_swap)
    # the top directory is checked first: swap on the second decision (the file)
    calls = []

    def second(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            return real_decision(*args, **kwargs)
        return decide_then_swap(*args, **kwargs)

    monkeypatch.setattr(lib, "owner_may_change", second)
    code = lib.chown_main([str(wd), "alice", "2001"], config_file=settings["path"], stderr=io.StringIO())
    assert swapped, "the swap hook never ran"
    assert os.lstat(output).st_uid == 0, "the root-owned file swapped in was handed over"
    assert code in (0, lib.EXIT_REFUSED)


@pytest.mark.skipif(os.geteuid() != 0, reason="changing owners needs root")
def test_chown_uses_no_path_based_stat_or_chown_after_the_check(fake_accounts, settings, monkeypatch):
    wd = settings["jobs"] / "4"
    (wd / "sub").mkdir(parents=True)
    (wd / "sub" / "f").write_text("x")
    os.symlink("/etc/passwd", wd / "link")
    for path in (wd, wd / "sub", wd / "sub" / "f"):
        os.chown(path, 997, 997)
    os.lchown(wd / "link", 997, 997)
    used = []
    for name in ("stat", "lstat", "chown", "lchown"):
        real = getattr(lib.os, name)

        def spy(path, *args, _real=real, _name=name, **kwargs):
            if isinstance(path, str) and (path.startswith(str(wd)) or not os.path.isabs(path)) and path != "":
                used.append((_name, path))
            return _real(path, *args, **kwargs)

        monkeypatch.setattr(lib.os, name, spy)
    code = lib.chown_main([str(wd), "alice", "2001"], config_file=settings["path"], stderr=io.StringIO())
    monkeypatch.undo()
    assert code == 0
    assert used == []
    for path in (wd, wd / "sub", wd / "sub" / "f"):
        assert os.lstat(path).st_uid == 2001
    assert os.lstat(wd / "link").st_uid == 2001
    assert os.lstat("/etc/passwd").st_uid == 0


# Attack 8: a person's file that lives elsewhere too, hard-linked into the job directory, handed to
# Galaxy on the way back. A job runs as the person but runs the command Galaxy wrote, so Galaxy can make
# it link, say, the person's ~/.ssh/authorized_keys into the working directory; if the hand-back gave
# that inode to Galaxy, Galaxy would own the person's file outside the job. A person's file with more
# than one link changes hands only when every one of its links is inside the tree being handed over
# (counted during the walk), checked again on the descriptor just before and just after the change.
# Galaxy's own jobs make such files (working/file_sources.json is a hard link of configs/tmp*), which
# stayed the person's before: the legitimate case is tested too.
def _job_of_alice(settings, name):
    """A finished job's directory, alice's as the job left it, and a place of alice's outside the roots."""
    wd = settings["jobs"] / name
    (wd / "working").mkdir(parents=True)
    (wd / "configs").mkdir()
    home = settings["jobs"].parent / f"home-{name}"
    home.mkdir()
    for path in (wd, wd / "working", wd / "configs", home):
        os.chown(path, 2001, 2001)
    return wd, home


def _alices_file(path, text="alice's"):
    path.write_text(text)
    os.chown(path, 2001, 2001)
    return path


def _hand_back(wd, settings):
    err = io.StringIO()
    code = lib.chown_main([str(wd), "galaxy", "997"], config_file=settings["path"], stderr=err)
    return code, err.getvalue()


@needs_root
def test_attack8_a_persons_file_linked_from_outside_stays_theirs(fake_accounts, settings):
    wd, home = _job_of_alice(settings, "8a")
    keys = _alices_file(home / "authorized_keys")
    os.link(keys, wd / "working" / "keys")
    code, err = _hand_back(wd, settings)
    assert code == 0, err
    assert os.lstat(keys).st_uid == 2001, "the person's file outside the job was handed to Galaxy"
    assert os.lstat(wd / "working").st_uid == 997
    assert "working/keys" in err and "links" in err


@needs_root
def test_attack8_two_links_inside_and_one_outside_stay_the_persons(fake_accounts, settings):
    wd, home = _job_of_alice(settings, "8b")
    keys = _alices_file(home / "authorized_keys")
    os.link(keys, wd / "working" / "a")
    os.link(keys, wd / "configs" / "b")
    code, err = _hand_back(wd, settings)
    assert code == 0, err
    assert os.lstat(keys).st_uid == 2001
    assert "with 3 links, only 2 of them in" in err


@needs_root
def test_attack8_a_link_made_outside_during_the_change_is_undone(fake_accounts, settings, monkeypatch):
    """The links were all inside when counted; one appears outside right before the change: undone."""
    wd, home = _job_of_alice(settings, "8c")
    inner = _alices_file(wd / "configs" / "tmp1")
    os.link(inner, wd / "working" / "file_sources.json")
    real_fchown = lib.fchown_fd
    linked = []

    def link_outside_first(fd, uid, gid):
        if not linked and os.fstat(fd).st_ino == os.lstat(inner).st_ino and uid == 997:
            os.link(inner, home / "grabbed")
            linked.append(True)
        return real_fchown(fd, uid, gid)

    monkeypatch.setattr(lib, "fchown_fd", link_outside_first)
    code, err = _hand_back(wd, settings)
    assert linked, "the race hook never ran"
    assert code == 0, err
    assert os.lstat(home / "grabbed").st_uid == 2001, "a file linked outside the job stayed Galaxy's"
    assert (os.lstat(inner).st_uid, os.lstat(inner).st_gid) == (2001, 2001)


@needs_root
def test_a_persons_file_linked_only_inside_the_job_goes_back_to_galaxy(fake_accounts, settings):
    """Galaxy's working/file_sources.json is a hard link of configs/tmp*: all its links are in the job."""
    wd, _home = _job_of_alice(settings, "8d")
    inner = _alices_file(wd / "configs" / "tmpabc")
    os.link(inner, wd / "working" / "file_sources.json")
    os.link(inner, wd / "working" / "third")
    code, err = _hand_back(wd, settings)
    assert code == 0, err
    for path in (inner, wd / "working" / "file_sources.json", wd / "working" / "third"):
        assert (os.lstat(path).st_uid, os.lstat(path).st_gid) == (997, 997), path
    assert "not changing" not in err


@needs_root
def test_a_walk_that_stops_changes_no_multiply_linked_file(fake_accounts, settings, monkeypatch):
    """Refused half-way (too deep), the walk has not counted every link: none of those files changes."""
    wd, _home = _job_of_alice(settings, "8e")
    inner = _alices_file(wd / "configs" / "tmpabc")
    os.link(inner, wd / "file_sources.json")
    deep = wd / "working" / "deeper"
    deep.mkdir()
    monkeypatch.setattr(lib, "MAX_DEPTH", 1)
    code, err = _hand_back(wd, settings)
    assert code == lib.EXIT_REFUSED, err
    assert os.lstat(inner).st_uid == 2001


# --- preflight (attacks 2, 4, 5, 6) -----------------------------------------------------------------


def _preflight(tmp_path, **overrides):
    scripts = tmp_path / "usr" / "local" / "libexec" / "gxhpc"
    request = {
        "galaxy_user": "galaxy",
        "galaxy_home": str(tmp_path / "srv" / "galaxy"),
        "allowed_roots": [],
        "new_file_path": str(tmp_path / "srv" / "galaxy" / "tmp"),
        "scripts_dir": str(scripts),
        "python": sys.executable,
        "config_file": "/etc/gxhpc/real_user.json",
        "scripts_source": "collection",
        "galaxy_scripts": [],
        "galaxy_scripts_sha256": {},
        "adduser_conf": str(tmp_path / "adduser.conf"),
        "system_prefix": str(tmp_path),
    }
    request.update(overrides)
    return lib.preflight(request)


# Attack 4: new_file_path at the scripts' own directory. Failed before: the deny-list was exact
# paths, so /usr/local/libexec/gxhpc converged and became 1777.
@pytest.mark.parametrize(
    "new_file_path",
    [
        "/usr/local/libexec/gxhpc",
        "/usr/local/libexec",
        "/usr/local/libexec/gxhpc/tmp",
        "/usr/lib/python3/dist-packages/x",
        "/etc/galaxy-tmp",
        "/var/lib/foo",
        "/lib64/x",
        "/boot/t",
        "/root/t",
        "/sbin/t",
    ],
)
def test_attack4_new_file_path_must_be_a_dedicated_directory(new_file_path):
    problems = lib.new_file_path_problems(
        new_file_path,
        scripts_dir="/usr/local/libexec/gxhpc",
        sys_path=["/usr/lib/python311.zip", "/usr/lib/python3.11", "/usr/lib/python3/dist-packages"],
        galaxy_home="/srv/galaxy",
    )
    assert problems and "galaxy_real_user_new_file_path" in problems[0], problems


@pytest.mark.parametrize("new_file_path", ["/srv/galaxy/tmp", "/data/galaxy/new_files", "/var/lib/galaxy/tmp"])
def test_new_file_path_accepted(new_file_path):
    problems = lib.new_file_path_problems(
        new_file_path,
        scripts_dir="/usr/local/libexec/gxhpc",
        sys_path=["/usr/lib/python3.11", "/usr/lib/python3/dist-packages"],
        galaxy_home="/var/lib/galaxy" if new_file_path.startswith("/var/lib") else "/srv/galaxy",
    )
    assert problems == []


def test_attack4_new_file_path_in_use_by_another_account(tmp_path):
    used = tmp_path / "in_use"
    used.mkdir()
    (used / "file").write_text("x")
    os.chown(used, 0, 0) if os.geteuid() == 0 else None
    problems = lib.new_file_path_problems(
        str(used), scripts_dir="/usr/local/libexec/gxhpc", sys_path=[], galaxy_home="/srv/galaxy", galaxy_uid=4242
    )
    assert any("not empty" in p for p in problems), problems


# Attack 4b: new_file_path under a directory that does not exist yet. Failed before: the role's
# file task (state=directory, mode 1777) created the missing parents too, with the same mode, so a
# fresh host's /srv/galaxy became world-writable and the Galaxy user could rename the allowed roots.
def test_attack4b_new_file_path_with_missing_parents_is_refused(tmp_path):
    problems = lib.new_file_path_parent_problems(str(tmp_path / "srv" / "galaxy" / "tmp"))
    assert len(problems) == 1 and "galaxy_real_user_new_file_path" in problems[0], problems
    assert str(tmp_path / "srv" / "galaxy") in problems[0]


def test_new_file_path_with_existing_parent_is_accepted(tmp_path):
    assert lib.new_file_path_parent_problems(str(tmp_path / "tmp")) == []
    (tmp_path / "tmp").mkdir()
    assert lib.new_file_path_parent_problems(str(tmp_path / "tmp")) == []


# Attack 5: the interpreter through a root-owned symlink into Galaxy's virtualenv. Failed before:
# only the symlink's own path was checked, with follow, so galaxy's python passed.
@needs_root
def test_attack5_interpreter_symlink_into_a_galaxy_writable_tree(installed):
    venv_bin = os.path.join(installed.galaxy, "venv", "bin")
    os.makedirs(venv_bin)
    os.chown(os.path.join(installed.galaxy, "venv"), 1, 1)
    os.chown(venv_bin, 1, 1)
    python = os.path.join(venv_bin, "python")
    shutil.copy(sys.executable, python)
    link = os.path.join(installed.scripts, "gxpy")
    os.symlink(python, link)
    problems = lib.interpreter_problems(link, galaxy_uid=1, galaxy_gids=[1])
    assert problems, "galaxy's interpreter was accepted"
    assert any(os.path.join(installed.galaxy, "venv") in p for p in problems), problems


def test_interpreter_of_this_host_is_accepted_when_root_owned():
    real = os.path.realpath(sys.executable)
    st = os.stat(real)
    if st.st_uid != 0 or not real.startswith("/usr/"):
        pytest.skip("the test interpreter is not a root-owned system Python")
    assert lib.interpreter_problems(real, galaxy_uid=4242, galaxy_gids=[4242], probe=False) == []


# Attack 2 in preflight: a root whose parent chain Galaxy can write is refused, naming the directory,
# its owner and mode. Failed before: nothing looked above the roots.
def test_attack2_preflight_names_the_galaxy_writable_parent(tmp_path):
    galaxy = tmp_path / "srv" / "galaxy"
    (galaxy / "jobs").mkdir(parents=True)
    os.chmod(tmp_path, 0o755)  # noqa: S103 - a tree like the role's
    os.chmod(tmp_path / "srv", 0o755)  # noqa: S103 - a tree like the role's
    os.chmod(galaxy, 0o775)  # noqa: S103 - a tree like the role's
    st = os.stat(galaxy)
    problems = lib.root_chain_problems(str(galaxy / "jobs"), galaxy_uid=st.st_uid + 1, galaxy_gids=[st.st_gid])
    assert any(repr(str(galaxy)) in p and "0775" in p for p in problems), problems


def test_the_interpreter_probe_reports_the_version_a_venv_would_use():
    found = json.loads(
        subprocess.run([sys.executable, "-I", "-c", lib.PROBE], capture_output=True, text=True, check=True).stdout
    )
    assert found["version"] == f"{sys.version_info[0]}.{sys.version_info[1]}"


def test_preflight_resolves_the_roots_once(tmp_path):
    real = tmp_path / "data" / "jobs"
    real.mkdir(parents=True)
    os.symlink(tmp_path / "data", tmp_path / "link")
    roots = lib.resolve_roots([str(tmp_path / "link" / "jobs")])
    assert roots == [{"path": str(tmp_path / "link" / "jobs"), "real": str(real)}]


def test_adduser_conf_gives_the_human_range(tmp_path):
    conf = tmp_path / "adduser.conf"
    conf.write_text("# FIRST_UID=1\nFIRST_UID=2000\nLAST_UID=29999\nFIRST_GID = 2000\n")
    assert lib.human_range(str(conf)) == {"uid_min": 2000, "uid_max": 29999, "gid_min": 2000, "gid_max": 59999}
    assert lib.human_range(str(tmp_path / "missing")) == {
        "uid_min": 1000,
        "uid_max": 59999,
        "gid_min": 1000,
        "gid_max": 59999,
    }


# Attack 6: scripts_source galaxy copies what the Galaxy user left in its checkout. Failed before:
# copied on every converge whatever its owner.
def test_attack6_galaxy_scripts_must_be_root_owned_or_pinned(tmp_path):
    script = tmp_path / "drmaa_external_runner.py"
    script.write_text("print('x')\n")
    os.chmod(script, 0o664)
    problems = lib.galaxy_scripts_problems([str(script)], {}, galaxy_uid=4242, galaxy_gids=[os.stat(script).st_gid])
    assert problems and "galaxy_real_user_galaxy_scripts_sha256" in problems[0]
    import hashlib

    digest = hashlib.sha256(script.read_bytes()).hexdigest()
    assert lib.galaxy_scripts_problems([str(script)], {script.name: digest}, galaxy_uid=4242, galaxy_gids=[]) == []
    problems = lib.galaxy_scripts_problems([str(script)], {script.name: "0" * 64}, galaxy_uid=4242, galaxy_gids=[])
    assert problems and "sha256" in problems[0]


def test_library_stays_importable_without_privileges():
    assert stat.S_IMODE(os.stat(LIB).st_mode) & 0o111 == 0
