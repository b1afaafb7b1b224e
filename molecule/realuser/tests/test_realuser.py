"""What a Galaxy admin relies on when Galaxy submits jobs as the real user."""

import json
import os
import re
import shlex
import time

import pytest
import yaml
from gxhpc_testlib import role_tags, tag_alone

SCRIPTS_DIR = "/usr/local/libexec/gxhpc"
RUNNER = SCRIPTS_DIR + "/gxhpc_drmaa_runner.py"
KILLER = SCRIPTS_DIR + "/gxhpc_drmaa_killer.py"
CHOWN = SCRIPTS_DIR + "/gxhpc_chown.py"
SCRIPTS = [RUNNER, KILLER, CHOWN]
SUDOERS = "/etc/sudoers.d/gxhpc-galaxy-real-user"
JOBS = "/srv/galaxy/jobs"
NEW_FILE_PATH = "/srv/galaxy/tmp"
GALAXY_YML = "/srv/galaxy/config/galaxy.yml"
# One assert for every preflight problem (module_utils/galaxy_real_user_plan.py): the variables' and the host's.
PREFLIGHT_CHECK = (
    "Check the galaxy_real_user variables, galaxy.yml and that the Galaxy user cannot change what runs as root"
)
# case: (the preflight task that stops it, what its message must name: a variable rule or a host check)
BAD_INPUTS = {
    "user_newline": (PREFLIGHT_CHECK, "galaxy_real_user_galaxy_user"),
    "user_comma": (PREFLIGHT_CHECK, "galaxy_real_user_galaxy_user"),
    "user_space": (PREFLIGHT_CHECK, "galaxy_real_user_galaxy_user"),
    "scripts_dir_space": (PREFLIGHT_CHECK, "galaxy_real_user_scripts_dir"),
    "scripts_dir_comma": (PREFLIGHT_CHECK, "galaxy_real_user_scripts_dir"),
    "scripts_dir_galaxy_writable": (PREFLIGHT_CHECK, "galaxy_real_user_scripts_dir"),
    "allowed_root_slash": (PREFLIGHT_CHECK, "galaxy_real_user_allowed_roots"),
    # issue 12
    "root_below_galaxy_dir": (PREFLIGHT_CHECK, "'/srv/galaxy/server' (owner uid"),
    "new_file_path_scripts_dir": (PREFLIGHT_CHECK, "galaxy_real_user_new_file_path"),
    "new_file_path_under_usr": (PREFLIGHT_CHECK, "galaxy_real_user_new_file_path"),
    "python_symlink_to_galaxy_venv": (PREFLIGHT_CHECK, "'/srv/galaxy/venv' (owner uid"),
    "galaxy_scripts_unpinned": (PREFLIGHT_CHECK, "galaxy_real_user_galaxy_scripts_sha256: drmaa_external_runner.py"),
    "galaxy_scripts_wrong_pin": (PREFLIGHT_CHECK, "not the pinned"),
}


def as_galaxy(host, command):
    return host.run("runuser -u galaxy -- " + command)


def sudo_as_galaxy(host, *argv):
    return as_galaxy(host, "sudo -n " + " ".join(shlex.quote(a) for a in argv))


# --- sudo ---------------------------------------------------------------------------------------------


def test_visudo_accepts_the_whole_configuration(host):
    assert host.run("visudo -c").rc == 0


def test_sudoers_file_is_root_owned_0440(host):
    f = host.file(SUDOERS)
    assert f.user == "root" and f.group == "root" and f.mode == 0o440


def test_sudo_lists_exactly_the_three_scripts(host):
    out = host.check_output("sudo -l -U galaxy")
    rules = out.split("may run the following commands")[1].split(":", 1)[1]
    commands = re.findall(r"\(root\)\s+NOPASSWD:\s+(\S+)", rules)
    assert sorted(commands) == sorted(SCRIPTS), out
    assert len([line for line in rules.splitlines() if line.strip()]) == 3, out
    assert "SETENV" not in rules
    assert "!requiretty" in out


@pytest.mark.parametrize(
    "command",
    ["/bin/true", "/bin/sh -c id", "/usr/bin/python3 -c 1", "-E " + RUNNER, "LD_PRELOAD=/tmp/x.so " + CHOWN],
)
def test_galaxy_cannot_sudo_anything_else(host, command):
    result = as_galaxy(host, "sudo -n " + command)
    assert result.rc != 0
    assert "sorry" in result.stderr or "password is required" in result.stderr or "not allowed" in result.stderr


def test_other_users_cannot_sudo_the_scripts(host):
    assert host.run("runuser -u alice -- sudo -n %s" % CHOWN).rc != 0


# --- the scripts ----------------------------------------------------------------------------------------


def test_scripts_and_their_directory_are_root_owned(host):
    for path in [SCRIPTS_DIR, "/usr/local/libexec"] + SCRIPTS:
        f = host.file(path)
        assert f.user == "root" and f.group == "root", path
        assert f.mode == 0o755, path
    lib = host.file(SCRIPTS_DIR + "/gxhpc_real_user.py")
    assert lib.user == "root" and lib.mode == 0o644
    config = host.file("/etc/gxhpc/real_user.json")
    assert config.user == "root" and config.mode == 0o644


def test_galaxy_cannot_write_the_scripts(host):
    for path in [SCRIPTS_DIR, "/etc/gxhpc", "/etc/gxhpc/real_user.json"] + SCRIPTS:
        assert as_galaxy(host, "test -w " + path).rc != 0, path
    assert as_galaxy(host, "touch %s/evil.py" % SCRIPTS_DIR).rc != 0


def test_scripts_run_python_isolated(host):
    for path in SCRIPTS:
        assert host.file(path).content_string.splitlines()[0] == "#!/usr/bin/python3 -I"


def test_settings(host):
    settings = json.loads(host.file("/etc/gxhpc/real_user.json").content_string)
    assert settings["galaxy_user"] == "galaxy"
    assert (settings["uid_min"], settings["uid_max"]) == (1000, 59999)  # /etc/adduser.conf's defaults
    assert (settings["gid_min"], settings["gid_max"]) == (1000, 59999)
    assert settings["denied_users"] == ["slurm", "munge", "mysql"]
    assert settings["assign_all_groups"] is True  # the scenario sets it
    # resolved once, at converge
    assert settings["allowed_roots"] == [{"path": JOBS, "real": JOBS}, {"path": NEW_FILE_PATH, "real": NEW_FILE_PATH}]


@pytest.fixture
def working_dir(host):
    """A job working directory as Galaxy creates it."""
    path = JOBS + "/000/%d" % int(time.time() * 1000)
    as_galaxy(host, "mkdir -p %s/outputs" % path)
    as_galaxy(host, "touch %s/outputs/dataset_1.dat %s/galaxy_1.sh" % (path, path))
    yield path
    host.run("rm -rf " + path)


def test_chown_hands_a_job_working_directory_over_and_back(host, working_dir):
    alice_gid = host.user("alice").gid
    result = sudo_as_galaxy(host, CHOWN, working_dir, "alice", str(alice_gid))
    assert result.rc == 0, result.stderr
    for path in (working_dir, working_dir + "/outputs", working_dir + "/outputs/dataset_1.dat"):
        assert host.file(path).user == "alice", path
    galaxy_gid = host.user("galaxy").gid
    result = sudo_as_galaxy(host, CHOWN, working_dir, "galaxy", str(galaxy_gid))
    assert result.rc == 0, result.stderr
    assert host.file(working_dir + "/outputs/dataset_1.dat").user == "galaxy"


@pytest.mark.parametrize("target", ["/etc/passwd", "/etc/shadow", "/root", "/srv/galaxy/config", "/srv/galaxy/jobs"])
def test_chown_refuses_paths_outside_the_roots(host, target):
    before = host.check_output("stat -c %u:%g " + target)
    result = sudo_as_galaxy(host, CHOWN, target, "alice", str(host.user("alice").gid))
    assert result.rc != 0
    assert "refused" in result.stderr
    assert host.check_output("stat -c %u:%g " + target) == before


def test_chown_refuses_a_symlink_escaping_the_working_dir(host, working_dir):
    as_galaxy(host, "ln -s /etc %s/escape" % working_dir)
    as_galaxy(host, "ln -s /etc/passwd %s/passwd" % working_dir)
    for target in ("escape", "passwd", "escape/shadow"):
        result = sudo_as_galaxy(host, CHOWN, working_dir + "/" + target, "alice", str(host.user("alice").gid))
        assert result.rc == 1, target
        assert "symlink" in result.stderr
    assert host.file("/etc/passwd").user == "root"
    assert host.file("/etc").user == "root"


def test_chown_does_not_follow_symlinks_in_the_tree(host, working_dir):
    as_galaxy(host, "ln -s /etc/passwd %s/outputs/passwd" % working_dir)
    result = sudo_as_galaxy(host, CHOWN, working_dir, "alice", str(host.user("alice").gid))
    assert result.rc == 0, result.stderr
    assert host.file("/etc/passwd").user == "root"
    # the link itself changed hands (stat without -L: testinfra's File.user follows links)
    assert host.check_output("stat -c %U " + working_dir + "/outputs/passwd") == "alice"


@pytest.mark.parametrize("user,gid", [("root", "0"), ("daemon", "1"), ("alice", "0"), ("alice", "2002")])
def test_chown_refuses_root_system_accounts_and_foreign_groups(host, working_dir, user, gid):
    result = sudo_as_galaxy(host, CHOWN, working_dir, user, gid)
    assert result.rc != 0
    assert host.file(working_dir).user == "galaxy"


def test_chown_logs_to_syslog(host, working_dir):
    sudo_as_galaxy(host, CHOWN, "/etc/passwd", "alice", "2001")
    time.sleep(1)
    log = host.check_output("journalctl -q --no-pager -t gxhpc_chown -n 20")
    assert "caller='galaxy' chown refused: '/etc/passwd' is outside the allowed roots" in log


@pytest.mark.parametrize("user", ["0", "root", "1", "daemon", "999999"])
def test_runner_refuses_root_and_system_accounts(host, working_dir, user):
    template = working_dir + "/jt.json"
    as_galaxy(host, "sh -c %s" % shlex.quote('echo \'{"remoteCommand": "/bin/true"}\' > ' + template))
    result = sudo_as_galaxy(host, RUNNER, user, template)
    assert result.rc != 0
    assert result.stdout == ""
    assert "refused" in result.stderr


def _write_template(host, path, mode):
    as_galaxy(host, "sh -c %s" % shlex.quote('echo \'{"remoteCommand": "/bin/true"}\' > ' + path))
    as_galaxy(host, "chmod %s %s" % (mode, path))


def test_runner_reads_the_template_as_the_user(host, working_dir):
    """A template only the Galaxy user can read is unreadable to the runner: it has become the user by then."""
    template = working_dir + "/private.json"
    _write_template(host, template, "600")
    result = sudo_as_galaxy(host, RUNNER, "alice", template)
    assert result.rc == 3
    assert "cannot read the job template" in result.stderr and "Permission denied" in result.stderr


def test_runner_argument_errors(host):
    result = sudo_as_galaxy(host, RUNNER)
    assert result.rc == 2 and "usage:" in result.stderr


def test_killer_refuses_root(host):
    result = sudo_as_galaxy(host, KILLER, "12345", "0")
    assert result.rc != 0 and "refused" in result.stderr


# --- new_file_path, umask, galaxy.yml -------------------------------------------------------------------


def test_new_file_path_is_world_writable_and_sticky(host):
    f = host.file(NEW_FILE_PATH)
    assert f.is_directory
    assert f.mode == 0o1777
    assert f.user == "root"


def test_cleanup_timer_removes_old_files_only(host):
    assert host.service("gxhpc-new-file-path-clean.timer").is_enabled
    assert host.service("gxhpc-new-file-path-clean.timer").is_running
    as_galaxy(host, "touch -d '5 days ago' %s/old.dat" % NEW_FILE_PATH)
    host.run("runuser -u alice -- touch -d '5 days ago' %s/old_alice.dat" % NEW_FILE_PATH)
    as_galaxy(host, "touch %s/new.dat" % NEW_FILE_PATH)
    host.check_output("systemctl start gxhpc-new-file-path-clean.service")
    assert not host.file(NEW_FILE_PATH + "/old.dat").exists
    assert not host.file(NEW_FILE_PATH + "/old_alice.dat").exists
    assert host.file(NEW_FILE_PATH + "/new.dat").exists
    assert host.file(NEW_FILE_PATH).mode == 0o1777


def test_galaxy_yml_settings(host):
    config = yaml.safe_load(host.file(GALAXY_YML).content_string)
    galaxy = config["galaxy"]
    assert config["gravity"]["umask"] == "027"
    assert config["gravity"]["galaxy_root"] == "/srv/galaxy/server"
    assert galaxy["brand"] == "realuser test"
    assert galaxy["outputs_to_working_directory"] is True
    assert galaxy["real_system_username"] == "user_email"
    assert galaxy["drmaa_external_runjob_script"] == "sudo -n %s --assign_all_groups" % RUNNER
    assert galaxy["drmaa_external_killjob_script"] == "sudo -n " + KILLER
    assert galaxy["external_chown_script"] == "sudo -n " + CHOWN
    assert galaxy["new_file_path"] == NEW_FILE_PATH
    # galaxy.yml set none, so the role set the one the chown script is confined to
    assert galaxy["job_working_directory"] == JOBS
    assert host.file(GALAXY_YML).user == "galaxy"


def test_galaxy_yml_commands_work_as_galaxy_runs_them(host, working_dir):
    """Galaxy splits the setting with shlex and appends its arguments: do exactly that."""
    galaxy = yaml.safe_load(host.file(GALAXY_YML).content_string)["galaxy"]
    argv = shlex.split(galaxy["external_chown_script"]) + [working_dir, "alice", str(host.user("alice").gid)]
    result = as_galaxy(host, " ".join(shlex.quote(a) for a in argv))
    assert result.rc == 0, result.stderr
    assert host.file(working_dir).user == "alice"


# --- bad input ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
def test_bad_input_is_rejected_before_anything_is_written(host, case):
    record = json.loads(host.file("/var/tmp/gxhpc-bad-input/%s.json" % case).content_string)  # noqa: S108 - in the container
    task, named = BAD_INPUTS[case]
    assert record["accepted"] is False
    assert record["task"] == task, record
    assert record["msg"].startswith("galaxy_real_user_"), record
    assert named in record["msg"], record
    assert record["sudoers_after"] == record["sudoers_before"]
    # the scripts directory kept its mode, new_file_path too (nothing became 1777)
    assert record["modes_after"] == ["0755", "1777"], record


def test_sudo_still_works_after_bad_input(host):
    assert host.run("visudo -c").rc == 0
    assert sudo_as_galaxy(host, RUNNER).rc == 2  # reached the script: usage error, not a sudo refusal


# --- a real job (slurm-drmaa is always built: make sets SLURM_DRMAA_TARBALL) ---------------------------


def test_runner_submits_a_job_that_runs_as_the_real_user(host, working_dir):
    alice = host.user("alice")
    assert sudo_as_galaxy(host, CHOWN, working_dir, "alice", str(alice.gid)).rc == 0
    script = working_dir + "/galaxy_1.sh"
    host.run("printf '#!/bin/sh\\nid -un > %s/whoami\\n' > %s && chmod 755 %s" % (working_dir, script, script))
    host.run("chown alice:alice " + script)
    template = {
        "remoteCommand": script,
        "jobName": "g1_realuser",
        "workingDirectory": working_dir,
        "outputPath": ":%s/galaxy_1.o" % working_dir,
        "errorPath": ":%s/galaxy_1.e" % working_dir,
        "nativeSpecification": "--time=00:05:00",
    }
    template_path = "/srv/galaxy/tmp/realuser_test.jt_json"
    as_galaxy(host, "sh -c %s" % shlex.quote("echo %s > %s" % (shlex.quote(json.dumps(template)), template_path)))
    as_galaxy(host, "chmod 644 " + template_path)
    result = sudo_as_galaxy(host, RUNNER, str(alice.uid), template_path)
    assert result.rc == 0, result.stderr
    job_id = result.stdout.strip()
    assert re.fullmatch(r"[0-9]+", job_id), result.stdout
    show = host.check_output("scontrol show job " + job_id)
    assert "UserId=alice(%d)" % alice.uid in show
    for _attempt in range(60):
        if host.file(working_dir + "/whoami").exists:
            break
        time.sleep(1)
    assert host.file(working_dir + "/whoami").content_string.strip() == "alice"


# --- each tag alone (issue 16) -----------------------------------------------------------------------


@pytest.mark.parametrize("tag", role_tags("galaxy_real_user"))
def test_each_tag_alone_changes_nothing(tag):
    """On the converged host, each phase tag and the role tag of galaxy_real_user run alone: green, changed=0.
    The other roles' tags are skipped (the default and drmaa scenarios run them), so only their preflight runs.
    Last in the file, after the tests that use the scripts: they leave nothing the role would change."""
    converge = os.path.join(os.environ["MOLECULE_SCENARIO_DIRECTORY"], "converge.yml")
    tag_alone(converge, tag, ("galaxy_real_user",), skip_roles=("slurm", "munge", "slurm_drmaa"), record="realuser")
