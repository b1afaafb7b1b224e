"""Issue 12's attack suite: the Galaxy user, through real sudo, with the role's default settings.

Galaxy is assumed hostile and owns everything it can write. It must find no way to run code or jobs
as root, as a uid below 1000 or as a service account, and no way to change the owner of anything
outside the job directories.
"""

import json
import shlex
import time

import pytest

SCRIPTS_DIR = "/usr/local/libexec/gxhpc"
RUNNER = SCRIPTS_DIR + "/gxhpc_drmaa_runner.py"
KILLER = SCRIPTS_DIR + "/gxhpc_drmaa_killer.py"
CHOWN = SCRIPTS_DIR + "/gxhpc_chown.py"
JOBS = "/srv/galaxy/jobs"
NEW_FILE_PATH = "/srv/galaxy/tmp"
# Accounts no job or file may go to: root, system accounts, this stack's daemons, the Galaxy user, nobody.
NOT_PEOPLE = ["root", "0", "daemon", "1", "slurm", "munge", "galaxy", "nobody", "65534"]


def as_galaxy(host, command):
    return host.run("runuser -u galaxy -- sh -c " + shlex.quote(command))


def sudo(host, *argv):
    return as_galaxy(host, "sudo -n " + " ".join(shlex.quote(a) for a in argv))


@pytest.fixture
def job_dir(host):
    path = "%s/000/a%d" % (JOBS, int(time.time() * 1000))
    as_galaxy(host, "mkdir -p %s/outputs && touch %s/outputs/out.dat" % (path, path))
    yield path
    host.run("rm -rf " + shlex.quote(path))


def _template(host, path, **extra):
    data = {"remoteCommand": "/bin/true"}
    data.update(extra)
    as_galaxy(host, "printf '%%s' %s > %s && chmod 644 %s" % (shlex.quote(json.dumps(data)), path, path))


# --- attack 1: jobs and files only for people ----------------------------------------------------------


@pytest.mark.parametrize("user", NOT_PEOPLE)
def test_runner_refuses_accounts_that_are_not_people(host, job_dir, user):
    template = job_dir + "/jt.json"
    _template(host, template)
    result = sudo(host, RUNNER, user, template)
    assert result.rc == 1, (result.stdout, result.stderr)
    assert result.stdout == "" and "refused" in result.stderr


@pytest.mark.parametrize("user", NOT_PEOPLE)
def test_killer_refuses_accounts_that_are_not_people(host, user):
    result = sudo(host, KILLER, "1", user)
    assert result.rc == 1 and "refused" in result.stderr


@pytest.mark.parametrize(
    "user,group",
    [
        ("slurm", "slurm"),
        ("nobody", "nogroup"),
        ("munge", "munge"),
        ("root", "root"),
        ("alice", "galaxy"),
        ("daemon", "daemon"),
    ],
)
def test_chown_refuses_targets_that_are_not_people(host, job_dir, user, group):
    gid = host.group(group).gid
    result = sudo(host, CHOWN, job_dir, user, str(gid))
    assert result.rc == 1, result.stderr
    assert host.check_output("stat -c %U " + job_dir) == "galaxy"


def test_a_job_cannot_ask_slurm_for_root(host, job_dir):
    """Past the runner, as alice: Slurm refuses --uid/--gid from anyone but root and SlurmUser."""
    alice = host.user("alice")
    assert sudo(host, CHOWN, job_dir, "alice", str(alice.gid)).rc == 0
    template = job_dir + "/jt_uid0.json"
    host.run(
        "runuser -u alice -- sh -c %s"
        % shlex.quote(
            "printf '%%s' %s > %s"
            % (
                shlex.quote(
                    json.dumps(
                        {
                            "remoteCommand": "/usr/bin/id",
                            "workingDirectory": job_dir,
                            "outputPath": ":%s/uid0.o" % job_dir,
                            "nativeSpecification": "--uid=0 --gid=0",
                        }
                    )
                ),
                template,
            )
        )
    )
    result = sudo(host, RUNNER, "alice", template)
    if result.rc == 0:
        show = host.check_output("scontrol show job " + result.stdout.strip())
        assert "UserId=alice(%d)" % alice.uid in show, show
    else:
        assert result.stdout == ""


# --- attack 2: the roots cannot be swapped ---------------------------------------------------------------


def test_galaxy_cannot_rename_a_root(host):
    for root in (JOBS, NEW_FILE_PATH):
        result = as_galaxy(host, "mv %s %s.moved" % (root, root))
        assert result.rc != 0
        assert host.file(root).is_directory and not host.file(root).is_symlink


def test_chown_through_a_symlink_to_home_is_refused(host, job_dir):
    as_galaxy(host, "ln -s /home %s/home" % job_dir)
    result = sudo(host, CHOWN, job_dir + "/home/alice", "galaxy", str(host.user("galaxy").gid))
    assert result.rc == 1, result.stderr
    assert host.check_output("stat -c %U /home/alice") == "alice"


# --- attack 3: the time-of-check/time-of-use race --------------------------------------------------------


def test_chown_race_with_a_root_owned_file(host, job_dir):
    """Galaxy swaps a root-owned 0600 file (in a directory it owns) with a job file while chown runs.

    The swapper renames without replacing (mv -n): `mv -f` could land on the root-owned file's name and
    unlink it, and a file that is gone cannot show whether it was handed over."""
    secret = "/srv/galaxy/server/root_secret"
    stop = "/srv/galaxy/server/stop_swapper"
    host.run("rm -f %s; printf secret > %s && chown root:root %s && chmod 600 %s" % (stop, secret, secret, secret))
    inode = host.check_output("stat -c %i " + secret)
    out = job_dir + "/outputs/out.dat"
    swapper = (
        "end=$(($(date +%%s)+60)); while [ ! -e %(stop)s ] && [ $(date +%%s) -lt $end ]; do "
        "mv -n %(out)s %(out)s.x; mv -n %(secret)s %(out)s; mv -n %(out)s %(secret)s; mv -n %(out)s.x %(out)s; "
        "done 2>/dev/null"
    ) % {"out": out, "secret": secret, "stop": stop}
    as_galaxy(host, "nohup sh -c %s >/dev/null 2>&1 &" % shlex.quote(swapper))
    alice, galaxy = host.user("alice"), host.user("galaxy")
    try:
        for _round in range(40):
            sudo(host, CHOWN, job_dir, "alice", str(alice.gid))
            sudo(host, CHOWN, job_dir, "galaxy", str(galaxy.gid))
    finally:
        host.run("touch " + stop)
        time.sleep(1)
    # wherever the swaps left it, the root-owned file (the same inode) is still root's
    owner = host.check_output("find /srv/galaxy -xdev -inum %s -printf '%%u:%%m'" % inode)
    assert owner == "root:600", "the root-owned file was handed over: " + owner
    host.run("find /srv/galaxy -xdev -inum %s -delete; rm -f %s" % (inode, stop))


def test_chown_leaves_files_with_other_links_alone(host, job_dir):
    """A hard link to a person's file elsewhere (possible when protected_hardlinks is off) is not changed."""
    host.run("runuser -u alice -- sh -c 'echo mine > %s/alice_file'" % NEW_FILE_PATH)
    linked = as_galaxy(host, "ln %s/alice_file %s/outputs/hl" % (NEW_FILE_PATH, job_dir)).rc == 0
    result = sudo(host, CHOWN, job_dir, "bob", str(host.user("bob").gid))
    assert result.rc == 0, result.stderr
    assert host.check_output("stat -c %U " + NEW_FILE_PATH + "/alice_file") == "alice"
    if linked:
        assert "not changing" in result.stderr
    host.run("rm -f %s/alice_file" % NEW_FILE_PATH)


# --- outside the job directories nothing changes owner ---------------------------------------------------


@pytest.mark.parametrize(
    "target",
    [
        "/srv/galaxy/config/galaxy.yml",
        "/srv/galaxy",
        "/srv/galaxy/server",
        "/etc/gxhpc/real_user.json",
        "/home/alice",
        JOBS + "/../config",
        JOBS + "/./x",
        JOBS,
        NEW_FILE_PATH + "/",
    ],
)
def test_chown_outside_the_job_directories_is_refused(host, target):
    path = target.split("/..")[0] if "/.." in target else target
    before = host.run("stat -c %u:%g " + path).stdout
    result = sudo(host, CHOWN, target, "alice", str(host.user("alice").gid))
    assert result.rc == 1, result.stderr
    assert host.run("stat -c %u:%g " + path).stdout == before


# --- attack 4/5: nothing sudo runs is writable by galaxy -------------------------------------------------


def test_galaxy_can_write_nothing_sudo_runs(host):
    code = "import sys, sysconfig; print(' '.join([sysconfig.get_path('stdlib')] + [p for p in sys.path if p]))"
    probe = host.check_output("/usr/bin/python3 -I -c " + shlex.quote(code))
    paths = " ".join([SCRIPTS_DIR, "/etc/gxhpc", "/usr/bin/python3", "/etc/sudoers.d", probe])
    result = as_galaxy(host, "find %s -writable 2>/dev/null | head -5" % paths)
    assert result.stdout.strip() == "", result.stdout


def test_new_file_path_is_no_module_directory(host):
    settings = json.loads(host.file("/etc/gxhpc/real_user.json").content_string)
    assert host.file(NEW_FILE_PATH).mode == 0o1777
    assert NEW_FILE_PATH in [root["real"] for root in settings["allowed_roots"]]
    as_galaxy(host, "echo 'import os; os.system(\"touch /root/pwned\")' > %s/argparse.py" % NEW_FILE_PATH)
    sudo(host, CHOWN, "/nonexistent", "alice", "1")
    sudo(host, RUNNER, "--help")
    assert not host.file("/root/pwned").exists
    host.run("rm -f %s/argparse.py" % NEW_FILE_PATH)


# --- item 7: odd input ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "argv",
    [
        [RUNNER, "²", "/x.json"],
        [KILLER, "1", "²"],
        [CHOWN, JOBS + "/x", "²", "1"],
        [CHOWN, JOBS + "/x", "alice", "9" * 20],
        [RUNNER, "9" * 20, "/x.json"],
    ],
)
def test_odd_input_is_refused_cleanly(host, argv):
    result = sudo(host, *argv)
    assert result.rc == 1, result.stderr
    assert "Traceback" not in result.stderr


def test_a_newline_in_a_path_cannot_forge_a_log_line(host):
    marker = "forged%d" % int(time.time())
    sudo(host, CHOWN, JOBS + "/x\ngxhpc_chown[1]: " + marker, "alice", str(host.user("alice").gid))
    time.sleep(1)
    log = host.check_output("journalctl -q --no-pager -t gxhpc_chown -n 50 -o cat")
    lines = [line for line in log.splitlines() if marker in line]
    assert lines and all(line.startswith("caller=") for line in lines), log


def test_assign_all_groups_follows_the_settings(host, job_dir):
    """The scenario allows it (galaxy_real_user_assign_all_groups: true): the flag is accepted."""
    template = job_dir + "/jt.json"
    _template(host, template)
    result = sudo(host, RUNNER, "--assign_all_groups", "root", template)
    assert result.rc == 1 and "assign_all_groups" not in result.stderr
