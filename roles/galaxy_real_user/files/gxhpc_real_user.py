# Copyright: (c) 2026, gxhpc.cluster developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Logic of the three site scripts Galaxy runs through sudo to submit jobs as the real user.

Galaxy calls them with the command-line contract of its own scripts (scripts/drmaa_external_runner.py,
scripts/drmaa_external_killer.py, scripts/external_chown_script.py):

    gxhpc_drmaa_runner.py [--assign_all_groups] <uid|name> <jobtemplate.json>   prints the DRMAA job id
    gxhpc_drmaa_killer.py <job id> <uid|name>
    gxhpc_chown.py <path> <user> <gid>

They run as root, so unlike Galaxy's copies they trust nothing the caller controls:

- settings come from a root-owned JSON file (``CONFIG_FILE``), never from the environment or the
  Galaxy user's files; the file is refused when someone other than root could write it;
- the runner and the killer refuse uid 0 and accounts below ``min_uid`` (except the Galaxy user
  itself, which Galaxy uses for guests), drop every privilege (groups, gid, uid) and only then load
  DRMAA, read the job template and talk to the cluster;
- the chown script resolves the real path and refuses anything that is not strictly inside one of the
  ``allowed_roots``, reaches it again from / without following symlinks and walks the tree the same
  way (file-descriptor relative, so a directory swapped for a symlink after the check or during the
  walk is not followed), only hands over files owned
  by the Galaxy user or by real users, and only to the Galaxy user or a real user with one of
  that user's own groups;
- every decision, allowed or refused, goes to syslog.

This file is installed next to the three entry points (mode 0644, root-owned); the entry points
import it from their own directory. No third-party module is imported while the process is root.
"""

import argparse
import errno
import grp
import json
import os
import pwd
import re
import stat
import sys
import syslog

CONFIG_FILE = "/etc/gxhpc/real_user.json"

# Exit codes: Galaxy treats any non-zero exit as a failure and logs stderr.
EXIT_OK = 0
EXIT_REFUSED = 1
EXIT_USAGE = 2
EXIT_FAILED = 3

# DRMAA job template attributes Galaxy writes (lib/galaxy/jobs/runners/drmaa.py) plus the other
# standard DRMAA 1.0 string attributes; anything else in the file is ignored and logged.
JOB_TEMPLATE_ATTRIBUTES = (
    "remoteCommand",
    "args",
    "jobName",
    "workingDirectory",
    "outputPath",
    "errorPath",
    "inputPath",
    "joinFiles",
    "nativeSpecification",
    "email",
    "blockEmail",
    "jobCategory",
)

# Job ids of Slurm (12345, 12345_7 for array tasks) and of other DRMs (host.12345); nothing that a
# shell or the DRM could read as an option.
JOB_ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._\[\]-]{0,127}$")
NAME_PATTERN = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,31}\$?$")

SYSLOG_FACILITIES = {
    "auth": syslog.LOG_AUTH,
    "authpriv": getattr(syslog, "LOG_AUTHPRIV", syslog.LOG_AUTH),
    "daemon": syslog.LOG_DAEMON,
    "user": syslog.LOG_USER,
    "local0": syslog.LOG_LOCAL0,
    "local1": syslog.LOG_LOCAL1,
    "local2": syslog.LOG_LOCAL2,
    "local3": syslog.LOG_LOCAL3,
    "local4": syslog.LOG_LOCAL4,
    "local5": syslog.LOG_LOCAL5,
    "local6": syslog.LOG_LOCAL6,
    "local7": syslog.LOG_LOCAL7,
}


class Refused(Exception):
    """The request is not allowed; nothing was changed."""


class Failed(Exception):
    """The request was allowed but could not be carried out."""


class Log:
    """Writes every decision to syslog and errors also to stderr (which Galaxy logs)."""

    def __init__(self, ident, facility="authpriv", stderr=None):
        self.ident = ident
        self.stderr = stderr if stderr is not None else sys.stderr
        self.opened = False
        self.facility = SYSLOG_FACILITIES.get(facility, syslog.LOG_AUTH)

    def _send(self, priority, message):
        if not self.opened:
            syslog.openlog(self.ident, syslog.LOG_PID, self.facility)
            self.opened = True
        caller = os.environ.get("SUDO_USER", "?")
        syslog.syslog(priority, "caller=%s %s" % (caller, message))

    def info(self, message):
        self._send(syslog.LOG_INFO, message)

    def warning(self, message):
        self._send(syslog.LOG_WARNING, message)
        self.stderr.write("%s: warning: %s\n" % (self.ident, message))

    def error(self, message):
        self._send(syslog.LOG_ERR, message)
        self.stderr.write("%s: error: %s\n" % (self.ident, message))


class Config:
    """Settings of the site scripts, read from a file only root can write."""

    def __init__(
        self,
        galaxy_user,
        min_uid,
        allowed_roots,
        drmaa_library_path=None,
        drmaa_python_path=None,
        syslog_facility="authpriv",
    ):
        self.galaxy_user = galaxy_user
        self.min_uid = min_uid
        self.allowed_roots = allowed_roots
        self.drmaa_library_path = drmaa_library_path
        self.drmaa_python_path = drmaa_python_path or []
        self.syslog_facility = syslog_facility

    @classmethod
    def from_dict(cls, data):
        if not isinstance(data, dict):
            raise Failed("the configuration must be a JSON object")
        galaxy_user = data.get("galaxy_user")
        if not isinstance(galaxy_user, str) or not NAME_PATTERN.fullmatch(galaxy_user):
            raise Failed("galaxy_user must be a user name, got %r" % (galaxy_user,))
        min_uid = data.get("min_uid", 1000)
        if isinstance(min_uid, bool) or not isinstance(min_uid, int) or min_uid < 1:
            raise Failed("min_uid must be an integer of at least 1, got %r" % (min_uid,))
        roots = data.get("allowed_roots", [])
        if not isinstance(roots, list) or not all(isinstance(r, str) for r in roots):
            raise Failed("allowed_roots must be a list of absolute paths, got %r" % (roots,))
        for root in roots:
            if not os.path.isabs(root) or os.path.normpath(root) == "/":
                raise Failed("allowed_roots entries must be absolute paths other than /, got %r" % (root,))
        library = data.get("drmaa_library_path") or None
        if library is not None and (not isinstance(library, str) or not os.path.isabs(library)):
            raise Failed("drmaa_library_path must be an absolute path, got %r" % (library,))
        python_path = data.get("drmaa_python_path") or []
        if not isinstance(python_path, list) or not all(isinstance(p, str) and os.path.isabs(p) for p in python_path):
            raise Failed("drmaa_python_path must be a list of absolute paths, got %r" % (python_path,))
        facility = data.get("syslog_facility", "authpriv")
        if facility not in SYSLOG_FACILITIES:
            raise Failed("syslog_facility must be one of %s, got %r" % (", ".join(sorted(SYSLOG_FACILITIES)), facility))
        return cls(galaxy_user, min_uid, roots, library, python_path, facility)


def load_config(path=CONFIG_FILE, require_root_owned=True):
    """Read the settings; refuse a file (or a directory above it) that anyone but root could change."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError as exc:
        raise Failed("cannot open the configuration %s: %s" % (path, exc.strerror)) from exc
    with os.fdopen(fd, "r") as handle:
        if require_root_owned:
            _check_root_owned(os.fstat(handle.fileno()), path)
            parent = os.path.dirname(os.path.abspath(path))
            while True:
                _check_root_owned(os.stat(parent), parent)
                if parent == os.path.dirname(parent):
                    break
                parent = os.path.dirname(parent)
        try:
            data = json.load(handle)
        except ValueError as exc:
            raise Failed("the configuration %s is not valid JSON: %s" % (path, exc)) from exc
    return Config.from_dict(data)


def _check_root_owned(st, path):
    # A sticky world-writable directory (/tmp) would still let others replace the file: refuse it too.
    if st.st_uid != 0 or st.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        raise Failed("%s must be owned by root and writable by nobody else" % path)


# ---------------------------------------------------------------------------------------------------
# Accounts


def lookup_user(spec):
    """A passwd entry from a numeric uid or a user name."""
    if isinstance(spec, int) or (isinstance(spec, str) and spec.isdigit()):
        try:
            return pwd.getpwuid(int(spec))
        except KeyError:
            raise Refused("no user with uid %s" % spec) from None
    if not isinstance(spec, str) or not NAME_PATTERN.fullmatch(spec):
        raise Refused("not a user id or user name: %r" % (spec,))
    try:
        return pwd.getpwnam(spec)
    except KeyError:
        raise Refused("no user named %r" % (spec,)) from None


def check_job_user(pw, config):
    """Jobs may run as a real user (uid >= min_uid) or as the Galaxy user itself, never as root or a system account."""
    if pw.pw_uid == 0:
        raise Refused("refusing uid 0 (%s)" % pw.pw_name)
    if pw.pw_name == config.galaxy_user:
        return
    if pw.pw_uid < config.min_uid:
        raise Refused(
            "refusing %s (uid %d): below the minimum uid %d for real users" % (pw.pw_name, pw.pw_uid, config.min_uid)
        )


def user_groups(pw, all_groups):
    """The groups a job gets: the primary group, plus every group of the user with --assign_all_groups."""
    if not all_groups:
        return [pw.pw_gid]
    groups = [pw.pw_gid]
    for gid in os.getgrouplist(pw.pw_name, pw.pw_gid):
        if gid not in groups:
            groups.append(gid)
    return groups


def drop_privileges(pw, groups):
    """Become the user for good: supplementary groups, gid, uid (in that order), then prove it stuck."""
    try:
        os.setgroups(groups)
        os.setgid(pw.pw_gid)
        os.setuid(pw.pw_uid)
    except OSError as exc:
        if exc.errno == errno.EPERM:
            raise Failed(
                "cannot switch to %s: permission denied (is this script run through sudo?)" % pw.pw_name
            ) from exc
        raise Failed("cannot switch to %s: %s" % (pw.pw_name, exc.strerror)) from exc
    if 0 in (os.getuid(), os.geteuid(), os.getgid(), os.getegid()):
        raise Failed("still root after switching to %s" % pw.pw_name)
    try:
        os.setuid(0)
    except OSError:
        pass
    else:
        raise Failed("could regain root after switching to %s" % pw.pw_name)
    # DRMAA and the DRM read these: they must describe the user, not root.
    os.environ["HOME"] = pw.pw_dir
    os.environ["USER"] = pw.pw_name
    os.environ["LOGNAME"] = pw.pw_name


def import_drmaa(config):
    """Load the drmaa module, which loads libdrmaa. Only ever called after drop_privileges()."""
    if config.drmaa_library_path:
        os.environ["DRMAA_LIBRARY_PATH"] = config.drmaa_library_path
    for entry in config.drmaa_python_path:
        if entry not in sys.path:
            sys.path.append(entry)
    try:
        import drmaa  # noqa: PLC0415 - imported late on purpose: never as root
    except (ImportError, RuntimeError, OSError) as exc:
        raise Failed("cannot load DRMAA: %s" % exc) from exc
    return drmaa


# ---------------------------------------------------------------------------------------------------
# Runner


def load_job_template(path, log):
    """The job template Galaxy wrote, as a dict of DRMAA attributes. Read as the user, not as root."""
    try:
        with open(path) as handle:
            data = json.load(handle)
    except OSError as exc:
        raise Failed("cannot read the job template %s: %s" % (path, exc.strerror)) from exc
    except ValueError as exc:
        raise Failed("the job template %s is not valid JSON: %s" % (path, exc)) from exc
    if not isinstance(data, dict):
        raise Failed("the job template %s must be a JSON object" % path)
    template = {}
    for key, value in data.items():
        if key not in JOB_TEMPLATE_ATTRIBUTES:
            log.warning("ignoring unknown job template attribute %r in %s" % (key, path))
            continue
        if key == "args":
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise Failed("job template attribute args must be a list of strings")
        elif key in ("joinFiles", "blockEmail"):
            if not isinstance(value, bool):
                raise Failed("job template attribute %s must be true or false" % key)
        elif key == "email":
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise Failed("job template attribute email must be a list of strings")
        elif not isinstance(value, str):
            raise Failed("job template attribute %s must be a string" % key)
        template[key] = value
    if "remoteCommand" not in template:
        raise Failed("the job template %s has no remoteCommand" % path)
    return template


def submit(drmaa, template):
    """Submit with a fresh DRMAA session and return the job id."""
    session = drmaa.Session()
    session.initialize()
    try:
        jt = session.createJobTemplate()
        try:
            for key, value in template.items():
                setattr(jt, key, value)
            return session.runJob(jt)
        finally:
            session.deleteJobTemplate(jt)
    finally:
        session.exit()


def runner_parser():
    parser = argparse.ArgumentParser(
        prog="gxhpc_drmaa_runner.py",
        description="Submit a Galaxy job through DRMAA as the real user and print its job id.",
        allow_abbrev=False,
    )
    parser.add_argument(
        "--assign_all_groups",
        action="store_true",
        help="give the job all of the user's groups, not only the primary group",
    )
    parser.add_argument("user", help="uid or name of the user the job runs as")
    parser.add_argument("job_template", help="JSON file with the DRMAA job template")
    return parser


def runner_main(argv, config_file=CONFIG_FILE, stdout=None, stderr=None, drop=drop_privileges, drmaa_loader=None):
    stdout = stdout if stdout is not None else sys.stdout
    log = Log("gxhpc_drmaa_runner", stderr=stderr)
    args = _parse(runner_parser(), argv, log)
    if isinstance(args, int):
        return args
    try:
        config = load_config(config_file)
        log.facility = SYSLOG_FACILITIES[config.syslog_facility]
        pw = lookup_user(args.user)
        check_job_user(pw, config)
        groups = user_groups(pw, args.assign_all_groups)
        drop(pw, groups)
        template = load_job_template(args.job_template, log)
        drmaa = (drmaa_loader or import_drmaa)(config)
        job_id = submit(drmaa, template)
    except Refused as exc:
        log.error("submit refused: %s" % exc)
        return EXIT_REFUSED
    except Failed as exc:
        log.error("submit failed: %s" % exc)
        return EXIT_FAILED
    except Exception as exc:  # noqa: BLE001 - DRMAA raises its own exception classes
        log.error("submit failed: %s: %s" % (type(exc).__name__, exc))
        return EXIT_FAILED
    log.info(
        "submitted %s as %s (uid %d, groups %s): job %s"
        % (args.job_template, pw.pw_name, pw.pw_uid, ",".join(str(g) for g in groups), job_id)
    )
    # Galaxy reads the job id from stdout: print it and nothing else.
    stdout.write("%s\n" % job_id)
    stdout.flush()
    return EXIT_OK


# ---------------------------------------------------------------------------------------------------
# Killer


def killer_parser():
    parser = argparse.ArgumentParser(
        prog="gxhpc_drmaa_killer.py",
        description="Terminate a DRMAA job as the user who owns it.",
        allow_abbrev=False,
    )
    parser.add_argument("job_id", help="DRMAA job id, as the runner printed it")
    parser.add_argument("user", help="uid or name of the user the job runs as")
    return parser


def killer_main(argv, config_file=CONFIG_FILE, stderr=None, drop=drop_privileges, drmaa_loader=None):
    log = Log("gxhpc_drmaa_killer", stderr=stderr)
    args = _parse(killer_parser(), argv, log)
    if isinstance(args, int):
        return args
    try:
        config = load_config(config_file)
        log.facility = SYSLOG_FACILITIES[config.syslog_facility]
        if not JOB_ID_PATTERN.fullmatch(args.job_id):
            raise Refused("not a job id: %r" % (args.job_id,))
        pw = lookup_user(args.user)
        check_job_user(pw, config)
        # As the user, the DRM only lets us terminate the user's own jobs.
        drop(pw, [pw.pw_gid])
        drmaa = (drmaa_loader or import_drmaa)(config)
        session = drmaa.Session()
        session.initialize()
        try:
            session.control(args.job_id, drmaa.JobControlAction.TERMINATE)
        finally:
            session.exit()
    except Refused as exc:
        log.error("kill refused: %s" % exc)
        return EXIT_REFUSED
    except Failed as exc:
        log.error("kill failed: %s" % exc)
        return EXIT_FAILED
    except Exception as exc:  # noqa: BLE001 - DRMAA raises its own exception classes
        log.error("kill of job %s failed: %s: %s" % (args.job_id, type(exc).__name__, exc))
        return EXIT_FAILED
    log.info("terminated job %s as %s (uid %d)" % (args.job_id, pw.pw_name, pw.pw_uid))
    return EXIT_OK


# ---------------------------------------------------------------------------------------------------
# Chown


def confine(path, roots):
    """The real path of ``path`` when it lies strictly inside one of ``roots`` (after resolving symlinks)."""
    if not path or "\0" in path:
        raise Refused("empty or invalid path")
    if not os.path.isabs(path):
        raise Refused("%r is not an absolute path" % path)
    real = os.path.realpath(path)
    for root in roots:
        real_root = os.path.realpath(root)
        if real != real_root and os.path.commonpath([real, real_root]) == real_root:
            return real
    if real != os.path.normpath(path):
        raise Refused("%s resolves to %s, which is outside the allowed roots %s" % (path, real, ", ".join(roots)))
    raise Refused("%s is outside the allowed roots %s" % (path, ", ".join(roots)))


def chown_target(user, gid_text, config):
    """The passwd entry and gid to hand a tree over to, if that is allowed."""
    pw = lookup_user(user)
    check_job_user(pw, config)
    if not gid_text.isdigit():
        raise Refused("not a group id: %r" % (gid_text,))
    gid = int(gid_text)
    if gid == 0:
        raise Refused("refusing gid 0")
    try:
        group = grp.getgrgid(gid)
    except KeyError:
        raise Refused("no group with gid %d" % gid) from None
    if gid != pw.pw_gid and pw.pw_name not in group.gr_mem:
        raise Refused("%s is not a member of group %s (gid %d)" % (pw.pw_name, group.gr_name, gid))
    return pw, gid


def owner_may_change(uid, config, galaxy_uid):
    """Only files of the Galaxy user or of real users change hands, never root's or a system account's."""
    return uid == galaxy_uid or (uid != 0 and uid >= config.min_uid)


def open_parent(path):
    """A descriptor of the directory holding ``path`` and the final name, reached from / without following symlinks.

    ``path`` is a real path checked by confine(); every directory on the way is opened with
    O_NOFOLLOW, so if one of them is swapped for a symlink after the check (the Galaxy user owns some
    of them) the walk fails instead of leading elsewhere.
    """
    parts = [part for part in path.split("/") if part]
    if not parts:
        raise Refused("refusing /")
    flags = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
    fd = os.open("/", flags)
    try:
        for part in parts[:-1]:
            next_fd = os.open(part, flags, dir_fd=fd)
            os.close(fd)
            fd = next_fd
    except OSError as exc:
        os.close(fd)
        raise Refused("%s changed while it was checked (a symlink on the way?): %s" % (path, exc.strerror)) from exc
    return fd, parts[-1]


def chown_tree(top, uid, gid, config, galaxy_uid, log):
    """Hand ``top`` (a confined real path) and everything below it to uid:gid without following any symlink.

    Returns (changed, skipped) counts.
    """
    changed = skipped = 0
    parent_fd, name = open_parent(top)
    parent = os.path.dirname(top)
    try:
        st = os.stat(name, dir_fd=parent_fd, follow_symlinks=False)
        if stat.S_ISLNK(st.st_mode):
            raise Refused("%s is a symlink" % top)
        if owner_may_change(st.st_uid, config, galaxy_uid):
            os.chown(name, uid, gid, dir_fd=parent_fd, follow_symlinks=False)
            changed += 1
        else:
            log.warning("not changing %s: owned by uid %d" % (top, st.st_uid))
            skipped += 1
        if not stat.S_ISDIR(st.st_mode):
            return changed, skipped
        # fwalk holds a descriptor of each directory, works relative to it and never descends into a
        # symlink, so a directory replaced by a symlink while we walk cannot lead outside the tree.
        for dirpath, dirnames, filenames, dirfd in os.fwalk(name, dir_fd=parent_fd, follow_symlinks=False):
            for entry_name in dirnames + filenames:
                try:
                    entry = os.stat(entry_name, dir_fd=dirfd, follow_symlinks=False)
                except FileNotFoundError:
                    continue
                if not owner_may_change(entry.st_uid, config, galaxy_uid):
                    shown = os.path.join(parent, dirpath, entry_name)
                    log.warning("not changing %s: owned by uid %d" % (shown, entry.st_uid))
                    skipped += 1
                    continue
                os.chown(entry_name, uid, gid, dir_fd=dirfd, follow_symlinks=False)
                changed += 1
    finally:
        os.close(parent_fd)
    return changed, skipped


def chown_parser():
    parser = argparse.ArgumentParser(
        prog="gxhpc_chown.py",
        description="Hand a Galaxy job working directory to a user, confined to the configured roots.",
        allow_abbrev=False,
    )
    parser.add_argument("path", help="job working directory (or a path below new_file_path)")
    parser.add_argument("user", help="name (or uid) of the new owner")
    parser.add_argument("gid", help="numeric id of the new group")
    return parser


def chown_main(argv, config_file=CONFIG_FILE, stderr=None):
    log = Log("gxhpc_chown", stderr=stderr)
    args = _parse(chown_parser(), argv, log)
    if isinstance(args, int):
        return args
    try:
        config = load_config(config_file)
        log.facility = SYSLOG_FACILITIES[config.syslog_facility]
        if not config.allowed_roots:
            raise Refused("no allowed_roots are configured")
        real = confine(args.path, config.allowed_roots)
        pw, gid = chown_target(args.user, args.gid, config)
        try:
            galaxy_uid = pwd.getpwnam(config.galaxy_user).pw_uid
        except KeyError:
            raise Failed("the Galaxy user %r does not exist" % config.galaxy_user) from None
        changed, skipped = chown_tree(real, pw.pw_uid, gid, config, galaxy_uid, log)
    except Refused as exc:
        log.error("chown refused: %s" % exc)
        return EXIT_REFUSED
    except Failed as exc:
        log.error("chown failed: %s" % exc)
        return EXIT_FAILED
    except OSError as exc:
        log.error("chown of %s failed: %s" % (args.path, exc))
        return EXIT_FAILED
    log.info("changed %s to %s:%d (%d entries, %d skipped)" % (real, pw.pw_name, gid, changed, skipped))
    return EXIT_OK


# ---------------------------------------------------------------------------------------------------


def _parse(parser, argv, log):
    """Parsed arguments, or the exit code when they are wrong (argparse has printed why)."""
    try:
        return parser.parse_args(argv)
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else EXIT_USAGE
        if code != EXIT_OK:
            log.error("bad arguments: %r" % (list(argv),))
        return code
