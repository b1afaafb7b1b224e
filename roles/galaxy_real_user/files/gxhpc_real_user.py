# Copyright: (c) 2026, gxhpc.cluster developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Logic of the three site scripts Galaxy runs through sudo to submit jobs as the real user.

Galaxy calls them with the command-line contract of its own scripts (scripts/drmaa_external_runner.py,
scripts/drmaa_external_killer.py, scripts/external_chown_script.py):

    gxhpc_drmaa_runner.py [--assign_all_groups] <uid|name> <jobtemplate.json>   prints the DRMAA job id
    gxhpc_drmaa_killer.py <job id> <uid|name>
    gxhpc_chown.py <path> <user> <gid>

They run as root for the Galaxy account, which is assumed hostile and owns everything it can write,
so they trust nothing the caller controls:

- settings come from a root-owned JSON file (``CONFIG_FILE``), never from the environment or the
  Galaxy user's files; the file is refused when someone other than root could write it;
- jobs and files only go to *human* accounts: a uid (and gid) inside the site's range for people
  (Debian's FIRST_UID..LAST_UID, written into the settings at converge), never 65534, never an
  account of this stack's daemons (slurm, munge, mysql, the Galaxy user itself), never a name that
  resolves to another account; optionally only members of the allowed groups. Files go back to the
  Galaxy user (with its primary group) when a job is done;
- the runner and the killer drop every privilege (groups, gid, uid) and only then load DRMAA, read
  the job template and talk to the cluster;
- the chown script works only strictly inside the allowed roots, which were resolved to real paths
  at converge. At run time it walks from / to the root with O_NOFOLLOW on every component and
  refuses when a directory above a root is writable by the Galaxy user (it could swap the root for
  a symlink); below the root every entry is opened with O_PATH|O_NOFOLLOW, the decision is taken on
  fstat() of that descriptor and the owner changed with fchownat() on the same descriptor, and
  directories are listed through descriptors (os.scandir(fd)), so nothing swapped in after a check
  is changed;
- every decision, allowed or refused, goes to syslog, with caller-supplied values shown with repr()
  so that a newline cannot forge a log line.

Exit codes: 0 done, 1 refused (nothing changed), 2 bad arguments, 3 failed.

The module also holds the host checks the role runs in preflight (``preflight``), so that a
decision about what is safe has one home. It is installed next to the three entry points (mode
0644, root-owned); the entry points import it from their own directory. No third-party module is
imported while the process is root.
"""

import argparse
import ctypes
import errno
import grp
import hashlib
import json
import os
import pwd
import re
import stat
import subprocess
import sys
import syslog

CONFIG_FILE = "/etc/gxhpc/real_user.json"
ADDUSER_CONF = "/etc/adduser.conf"

# Exit codes: Galaxy treats any non-zero exit as a failure and logs stderr.
EXIT_OK = 0
EXIT_REFUSED = 1
EXIT_USAGE = 2
EXIT_FAILED = 3

# Debian's adduser defaults (adduser.conf(5)): the accounts of people.
DEFAULT_HUMAN_RANGE = {"uid_min": 1000, "uid_max": 59999, "gid_min": 1000, "gid_max": 59999}
NOBODY = 65534
# Largest uid_t/gid_t that names an account ((uid_t) -1 means "no change" to chown).
ID_MAX = 2**32 - 2
# Accounts of the daemons of this stack: never a job user or a file owner, whatever their uid.
DEFAULT_DENIED_USERS = ("slurm", "munge", "mysql")

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
# shell or the DRM could read as an option. ASCII only: str.isdigit() and \w accept '²' and other
# Unicode digits that int() or the C library then choke on.
JOB_ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._\[\]-]{0,127}$", re.ASCII)
NAME_PATTERN = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,31}\$?$", re.ASCII)
NUMBER_PATTERN = re.compile(r"^[0-9]{1,10}$", re.ASCII)

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

O_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
O_PATH = getattr(os, "O_PATH", 0)
DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | O_CLOEXEC
AT_SYMLINK_NOFOLLOW = 0x100
AT_EMPTY_PATH = 0x1000
# Deeper trees than this are refused: job directories are shallow, and each level holds descriptors.
MAX_DEPTH = 256


class Refused(Exception):
    """The request is not allowed; nothing was changed."""


class Failed(Exception):
    """The request was allowed but could not be carried out."""


class Log:
    """Writes every decision to syslog and errors also to stderr (which Galaxy logs).

    Messages are built by the callers with repr() of every value the caller controls, so they stay
    one line each.
    """

    def __init__(self, ident, facility="authpriv", stderr=None):
        self.ident = ident
        self.stderr = stderr if stderr is not None else sys.stderr
        self.opened = False
        self.facility = SYSLOG_FACILITIES.get(facility, syslog.LOG_AUTH)

    @staticmethod
    def _one_line(message):
        return message.replace("\r", "\\r").replace("\n", "\\n")

    def _send(self, priority, message):
        if not self.opened:
            syslog.openlog(self.ident, syslog.LOG_PID, self.facility)
            self.opened = True
        caller = os.environ.get("SUDO_USER", "?")
        syslog.syslog(priority, f"caller={caller!r} {self._one_line(message)}")

    def info(self, message):
        self._send(syslog.LOG_INFO, message)

    def warning(self, message):
        self._send(syslog.LOG_WARNING, message)
        self.stderr.write(f"{self.ident}: warning: {self._one_line(message)}\n")

    def error(self, message):
        self._send(syslog.LOG_ERR, message)
        self.stderr.write(f"{self.ident}: error: {self._one_line(message)}\n")


def _int_setting(data, key, default):
    value = data.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= ID_MAX:
        raise Failed(f"{key} must be an integer from 1 to {ID_MAX}, got {value!r}")
    return value


def _name_list(data, key, default=()):
    value = data.get(key, list(default))
    if not isinstance(value, list) or not all(isinstance(v, str) and NAME_PATTERN.fullmatch(v) for v in value):
        raise Failed(f"{key} must be a list of account or group names, got {value!r}")
    return value


class Config:
    """Settings of the site scripts, read from a file only root can write."""

    def __init__(self, **values):
        self.__dict__.update(values)

    @classmethod
    def from_dict(cls, data):
        if not isinstance(data, dict):
            raise Failed("the configuration must be a JSON object")
        galaxy_user = data.get("galaxy_user")
        if not isinstance(galaxy_user, str) or not NAME_PATTERN.fullmatch(galaxy_user):
            raise Failed(f"galaxy_user must be a user name, got {galaxy_user!r}")
        # min_uid: the name of uid_min before the human-account rule.
        uid_min = _int_setting(data, "uid_min", data.get("min_uid", DEFAULT_HUMAN_RANGE["uid_min"]))
        uid_max = _int_setting(data, "uid_max", DEFAULT_HUMAN_RANGE["uid_max"])
        gid_min = _int_setting(data, "gid_min", DEFAULT_HUMAN_RANGE["gid_min"])
        gid_max = _int_setting(data, "gid_max", DEFAULT_HUMAN_RANGE["gid_max"])
        if uid_min > uid_max or gid_min > gid_max:
            raise Failed(f"empty uid or gid range: {uid_min}..{uid_max}, {gid_min}..{gid_max}")
        roots = []
        raw_roots = data.get("allowed_roots", [])
        if not isinstance(raw_roots, list):
            raise Failed(f"allowed_roots must be a list of absolute paths, got {raw_roots!r}")
        for root in raw_roots:
            if isinstance(root, str):
                root = {"path": root, "real": root}
            if (
                not isinstance(root, dict)
                or not all(isinstance(root.get(k), str) and _plain_absolute(root.get(k)) for k in ("path", "real"))
                or "/" in (root["path"], root["real"])
            ):
                raise Failed(f"allowed_roots entries must be plain absolute paths other than /, got {root!r}")
            roots.append({"path": root["path"], "real": root["real"]})
        assign_all_groups = data.get("assign_all_groups", False)
        if not isinstance(assign_all_groups, bool):
            raise Failed(f"assign_all_groups must be true or false, got {assign_all_groups!r}")
        library = data.get("drmaa_library_path") or None
        if library is not None and (not isinstance(library, str) or not os.path.isabs(library)):
            raise Failed(f"drmaa_library_path must be an absolute path, got {library!r}")
        python_path = data.get("drmaa_python_path") or []
        if not isinstance(python_path, list) or not all(isinstance(p, str) and os.path.isabs(p) for p in python_path):
            raise Failed(f"drmaa_python_path must be a list of absolute paths, got {python_path!r}")
        facility = data.get("syslog_facility", "authpriv")
        if facility not in SYSLOG_FACILITIES:
            raise Failed(f"syslog_facility must be one of {', '.join(sorted(SYSLOG_FACILITIES))}, got {facility!r}")
        return cls(
            galaxy_user=galaxy_user,
            uid_min=uid_min,
            uid_max=uid_max,
            gid_min=gid_min,
            gid_max=gid_max,
            denied_users=set(_name_list(data, "denied_users", DEFAULT_DENIED_USERS)) | {galaxy_user, "root", "nobody"},
            allowed_groups=_name_list(data, "allowed_groups"),
            assign_all_groups=assign_all_groups,
            allowed_roots=roots,
            drmaa_library_path=library,
            drmaa_python_path=python_path,
            syslog_facility=facility,
        )


def _plain_absolute(path):
    """An absolute path without NUL, empty, '.' or '..' components (so it means the same lexically and on disk)."""
    if not path.startswith("/") or "\0" in path:
        return False
    if path == "/":
        return True
    return all(part not in ("", ".", "..") for part in path[1:].split("/"))


def load_config(path=CONFIG_FILE, require_root_owned=True):
    """Read the settings; refuse a file (or a directory above it) that anyone but root could change."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | O_CLOEXEC)
    except OSError as exc:
        raise Failed(f"cannot open the configuration {path}: {exc.strerror}") from exc
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
            raise Failed(f"the configuration {path} is not valid JSON: {exc}") from exc
    return Config.from_dict(data)


def _check_root_owned(st, path):
    # A sticky world-writable directory (/tmp) would still let others replace the file: refuse it too.
    if st.st_uid != 0 or st.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        raise Failed(f"{path} must be owned by root and writable by nobody else")


# ---------------------------------------------------------------------------------------------------
# Accounts


def _parse_id(text, what):
    if not isinstance(text, str) or not NUMBER_PATTERN.fullmatch(text) or int(text) > ID_MAX:
        raise Refused(f"not a {what} id: {text!r}")
    return int(text)


def lookup_user(spec):
    """A passwd entry from a numeric uid or a user name (ASCII only)."""
    if isinstance(spec, str) and spec[:1].isdigit():
        uid = _parse_id(spec, "user")
        try:
            return pwd.getpwuid(uid)
        except (KeyError, OverflowError):
            raise Refused(f"no user with uid {uid}") from None
    if not isinstance(spec, str) or not NAME_PATTERN.fullmatch(spec):
        raise Refused(f"not a user id or user name: {spec!r}")
    try:
        return pwd.getpwnam(spec)
    except KeyError:
        raise Refused(f"no user named {spec!r}") from None


def _groups_of(pw):
    try:
        return os.getgrouplist(pw.pw_name, pw.pw_gid)
    except OSError as exc:
        raise Failed(f"cannot list the groups of {pw.pw_name!r}: {exc}") from exc


def check_human(pw, config):
    """Refuse unless ``pw`` is a person's account: the only accounts jobs and files may go to."""
    who = f"{pw.pw_name!r} (uid {pw.pw_uid})"
    if pw.pw_uid == 0:
        raise Refused(f"refusing {who}: root")
    if pw.pw_uid == NOBODY or pw.pw_name in config.denied_users:
        raise Refused(f"refusing {who}: a system or service account")
    if not config.uid_min <= pw.pw_uid <= config.uid_max:
        raise Refused(
            f"refusing {who}: outside the uid range of people {config.uid_min}..{config.uid_max} (a system account)"
        )
    # A second passwd entry with the same name, or a name shared with another account, is refused:
    # the DRM and NSS would resolve the name, not the number.
    try:
        by_name = pwd.getpwnam(pw.pw_name)
    except KeyError:
        raise Refused(f"refusing {who}: the name does not resolve back to the account") from None
    if by_name.pw_uid != pw.pw_uid:
        raise Refused(f"refusing {who}: the name resolves to uid {by_name.pw_uid}")
    if config.allowed_groups:
        gids = set(_groups_of(pw))
        allowed = set()
        for name in config.allowed_groups:
            try:
                allowed.add(grp.getgrnam(name).gr_gid)
            except KeyError:
                continue
        if not gids & allowed:
            raise Refused(f"refusing {who}: not a member of allowed_groups {', '.join(config.allowed_groups)}")


def check_job_user(pw, config):
    """Jobs run only as people: never root, a system account, a service account or the Galaxy user."""
    check_human(pw, config)


def user_groups(pw, all_groups):
    """The groups a job gets: the primary group, plus every group of the user with --assign_all_groups."""
    groups = [pw.pw_gid]
    if all_groups:
        for gid in _groups_of(pw):
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
                f"cannot switch to {pw.pw_name!r}: permission denied (is this script run through sudo?)"
            ) from exc
        raise Failed(f"cannot switch to {pw.pw_name!r}: {exc.strerror}") from exc
    if 0 in (os.getuid(), os.geteuid(), os.getgid(), os.getegid()):
        raise Failed(f"still root after switching to {pw.pw_name!r}")
    try:
        os.setuid(0)
    except OSError:
        pass
    else:
        raise Failed(f"could regain root after switching to {pw.pw_name!r}")
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
        raise Failed(f"cannot load DRMAA: {exc}") from exc
    return drmaa


# ---------------------------------------------------------------------------------------------------
# Runner


def load_job_template(path, log):
    """The job template Galaxy wrote, as a dict of DRMAA attributes. Read as the user, not as root."""
    try:
        with open(path) as handle:
            data = json.load(handle)
    except OSError as exc:
        raise Failed(f"cannot read the job template {path!r}: {exc.strerror}") from exc
    except ValueError as exc:
        raise Failed(f"the job template {path!r} is not valid JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise Failed(f"the job template {path!r} must be a JSON object")
    template = {}
    for key, value in data.items():
        if key not in JOB_TEMPLATE_ATTRIBUTES:
            log.warning(f"ignoring unknown job template attribute {key!r} in {path!r}")
            continue
        if key == "args":
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise Failed("job template attribute args must be a list of strings")
        elif key in ("joinFiles", "blockEmail"):
            if not isinstance(value, bool):
                raise Failed(f"job template attribute {key} must be true or false")
        elif key == "email":
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise Failed("job template attribute email must be a list of strings")
        elif not isinstance(value, str):
            raise Failed(f"job template attribute {key} must be a string")
        template[key] = value
    if "remoteCommand" not in template:
        raise Failed(f"the job template {path!r} has no remoteCommand")
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


def script_parser(prog, description, *positionals):
    """The argument parser of one script: no abbreviated options, and ``positionals`` as (name, help) pairs."""
    parser = argparse.ArgumentParser(prog=prog, description=description, allow_abbrev=False)
    for name, text in positionals:
        parser.add_argument(name, help=text)
    return parser


def runner_parser():
    parser = script_parser(
        "gxhpc_drmaa_runner.py",
        "Submit a Galaxy job through DRMAA as the real user and print its job id.",
        ("user", "uid or name of the user the job runs as"),
        ("job_template", "JSON file with the DRMAA job template"),
    )
    parser.add_argument(
        "--assign_all_groups",
        action="store_true",
        help="give the job all of the user's groups, not only the primary group (if the settings allow it)",
    )
    return parser


def runner_main(argv, config_file=CONFIG_FILE, stdout=None, stderr=None, drop=drop_privileges, drmaa_loader=None):
    stdout = stdout if stdout is not None else sys.stdout

    def action(args, config):
        if args.assign_all_groups and not config.assign_all_groups:
            raise Refused("--assign_all_groups given, but the settings do not allow it (assign_all_groups: false)")
        pw = lookup_user(args.user)
        check_job_user(pw, config)
        groups = user_groups(pw, args.assign_all_groups)
        drop(pw, groups)
        template = load_job_template(args.job_template, log)
        drmaa = (drmaa_loader or import_drmaa)(config)
        job_id = submit(drmaa, template)
        # Galaxy reads the job id from stdout: print it and nothing else.
        stdout.write(f"{job_id}\n")
        stdout.flush()
        return (
            f"submitted {args.job_template!r} as {pw.pw_name!r} (uid {pw.pw_uid}, groups "
            f"{','.join(str(g) for g in groups)}): job {str(job_id)!r}"
        )

    log = Log("gxhpc_drmaa_runner", stderr=stderr)
    return run_script(log, "submit", runner_parser(), argv, config_file, action)


# ---------------------------------------------------------------------------------------------------
# Killer


def killer_parser():
    return script_parser(
        "gxhpc_drmaa_killer.py",
        "Terminate a DRMAA job as the user who owns it.",
        ("job_id", "DRMAA job id, as the runner printed it"),
        ("user", "uid or name of the user the job runs as"),
    )


def killer_main(argv, config_file=CONFIG_FILE, stderr=None, drop=drop_privileges, drmaa_loader=None):
    def action(args, config):
        if not JOB_ID_PATTERN.fullmatch(args.job_id):
            raise Refused(f"not a job id: {args.job_id!r}")
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
        return f"terminated job {args.job_id!r} as {pw.pw_name!r} (uid {pw.pw_uid})"

    log = Log("gxhpc_drmaa_killer", stderr=stderr)
    return run_script(log, "kill", killer_parser(), argv, config_file, action, subject=lambda a: f"job {a.job_id!r}")


# ---------------------------------------------------------------------------------------------------
# Chown


def confine(path, roots):
    """(root, components below it) for ``path``, strictly inside one of ``roots``; lexical, nothing resolved.

    Each root is known by the path the admin gave and by its real path (resolved once, at converge);
    ``path`` may start with either. '.', '..' and empty components are refused rather than
    interpreted, so the path means on disk what it says here.
    """
    if not isinstance(path, str) or not path or "\0" in path:
        raise Refused("empty or invalid path")
    if not path.startswith("/"):
        raise Refused(f"{path!r} is not an absolute path")
    parts = path[1:].split("/")
    if parts[-1] == "":
        parts = parts[:-1]
    if any(part in ("", ".", "..") for part in parts):
        raise Refused(f"{path!r} has empty, '.' or '..' components")
    for root in roots:
        for form in (root["path"], root["real"]):
            root_parts = form[1:].split("/")
            if len(parts) > len(root_parts) and parts[: len(root_parts)] == root_parts:
                return root, parts[len(root_parts) :]
    raise Refused(f"{path!r} is outside the allowed roots {', '.join(repr(r['path']) for r in roots)}")


def _mode(st):
    return f"{stat.S_IMODE(st.st_mode):04o}"


def writable_by(st, uid, gids):
    """Whether the account (uid, gids) can change the entry, or entries in the directory, ``st`` describes.

    The owner can always chmod, so owning is writing. A sticky world-writable directory still lets
    anyone add entries, so it counts as writable too.
    """
    if st.st_uid == uid:
        return True
    if st.st_mode & stat.S_IWGRP and st.st_gid in gids:
        return True
    return bool(st.st_mode & stat.S_IWOTH)


def open_root(root, galaxy_uid, galaxy_gids):
    """A descriptor of the real directory of ``root``, reached from / without following any symlink.

    Every directory above the root must not be writable by the Galaxy user, or it could rename the
    root away and put a symlink or another tree in its place.
    """
    fd = os.open("/", DIR_FLAGS)
    shown = "/"
    try:
        for part in root["real"][1:].split("/"):
            st = os.fstat(fd)
            if writable_by(st, galaxy_uid, galaxy_gids):
                raise Refused(
                    f"{shown!r} (above the allowed root {root['real']!r}) is writable by the Galaxy user "
                    f"(owner uid {st.st_uid}, gid {st.st_gid}, mode {_mode(st)}): it could swap the root"
                )
            try:
                next_fd = os.open(part, DIR_FLAGS, dir_fd=fd)
            except OSError as exc:
                raise Refused(
                    f"cannot open {os.path.join(shown, part)!r} on the way to {root['real']!r} without following a "
                    f"symlink: {exc.strerror}"
                ) from exc
            os.close(fd)
            fd = next_fd
            shown = os.path.join(shown, part)
    except BaseException:
        os.close(fd)
        raise
    return fd


def open_below(root_fd, parts, shown):
    """(descriptor of the parent directory, O_PATH descriptor of the entry) for ``parts`` below the root."""
    fd = os.dup(root_fd)
    try:
        for part in parts[:-1]:
            try:
                next_fd = os.open(part, DIR_FLAGS, dir_fd=fd)
            except OSError as exc:
                raise Refused(f"cannot open {part!r} in {shown!r} without following a symlink: {exc.strerror}") from exc
            os.close(fd)
            fd = next_fd
        try:
            entry = os.open(parts[-1], O_PATH | os.O_NOFOLLOW | O_CLOEXEC, dir_fd=fd)
        except OSError as exc:
            raise Refused(f"cannot open {shown!r}: {exc.strerror}") from exc
    except BaseException:
        os.close(fd)
        raise
    return fd, entry


_libc = None


def fchown_fd(fd, uid, gid):
    """fchownat(fd, "", uid, gid, AT_EMPTY_PATH): change the owner of exactly the entry ``fd`` was opened on.

    Works on O_PATH descriptors of every file type, symlinks included, without any path lookup.
    """
    global _libc  # noqa: PLW0603 - loaded once, only when a chown is due
    if _libc is None:
        _libc = ctypes.CDLL(None, use_errno=True)
        _libc.fchownat.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_uint, ctypes.c_uint, ctypes.c_int]
    if _libc.fchownat(fd, b"", uid, gid, AT_EMPTY_PATH) != 0:
        code = ctypes.get_errno()
        raise OSError(code, os.strerror(code))


def owner_may_change(st, config, galaxy_uid):
    """Only entries of the Galaxy user or of people change hands, never root's or a system account's.

    A person's regular file with more than one link may be somewhere else too: whether it changes
    hands is decided after the walk (``Chown.linked``), once all its links inside the tree are counted.
    """
    if st.st_uid == galaxy_uid:
        return True
    if st.st_uid == 0 or st.st_uid == NOBODY or not config.uid_min <= st.st_uid <= config.uid_max:
        return False
    return st.st_uid not in config.denied_uids


def linked_persons_file(st, galaxy_uid):
    """A person's regular file with more than one name: it may also be outside the tree being handed over."""
    return st.st_uid != galaxy_uid and stat.S_ISREG(st.st_mode) and st.st_nlink > 1


# How many multiply-linked files of people one hand-over holds a descriptor of until the walk ends;
# beyond that they are left alone (a job directory has a handful: Galaxy links configs/tmp* to
# working/file_sources.json).
MAX_LINKED = 256


class Chown:
    """Hands a tree to uid:gid through descriptors only.

    A person's file with more than one link (``linked_persons_file``) is not changed when met: the walk
    keeps a descriptor of it and counts its names in the tree. After the walk (``finish``) it changes
    hands only if every one of its links was met, checked on that descriptor right before the change
    and again right after (a link made elsewhere in between undoes the change). A link outside the tree
    means the file is also somewhere the hand-over must not reach: a person's ~/.ssh/authorized_keys
    linked into the job by the command Galaxy wrote must not become Galaxy's.
    """

    def __init__(self, uid, gid, config, galaxy_uid, log, top):
        self.uid = uid
        self.gid = gid
        self.config = config
        self.galaxy_uid = galaxy_uid
        self.log = log
        self.top = top
        self.changed = 0
        self.skipped = 0
        self.linked = {}  # (st_dev, st_ino) -> (descriptor, fstat when met, [names in the tree])

    def hold(self, fd, st, shown):
        key = (st.st_dev, st.st_ino)
        if key not in self.linked:
            if len(self.linked) >= MAX_LINKED:
                self.log.warning(f"not changing {shown!r}: more than {MAX_LINKED} multiply-linked files")
                self.skipped += 1
                return
            self.linked[key] = (os.dup(fd), st, [])
        self.linked[key][2].append(shown)

    def finish(self):
        """After a complete walk: decide on the multiply-linked files met in it."""
        for fd, first, names in self.linked.values():
            self.change_linked(fd, first, names)

    def close(self):
        for fd, _first, _names in self.linked.values():
            os.close(fd)
        self.linked = {}

    def change_linked(self, fd, first, names):
        count = len(names)
        before = os.fstat(fd)
        if (before.st_uid, before.st_gid, before.st_nlink) != (first.st_uid, first.st_gid, count):
            self.log.warning(
                f"not changing {names[0]!r}: a file of uid {before.st_uid} with {before.st_nlink} links, only "
                f"{count} of them in {self.top!r}"
            )
            self.skipped += count
            return
        fchown_fd(fd, self.uid, self.gid)
        after = os.fstat(fd)
        if after.st_nlink != count:
            fchown_fd(fd, before.st_uid, before.st_gid)
            self.log.warning(
                f"not changing {names[0]!r}: a link to it was made while it changed hands ({after.st_nlink} links, "
                f"{count} in {self.top!r}); its owner is uid {before.st_uid} again"
            )
            self.skipped += count
            return
        self.changed += count

    def entry(self, fd, shown, depth, device):
        """Decide on fstat(fd) and change that same descriptor; descend into directories through it."""
        st = os.fstat(fd)
        if st.st_dev != device:
            self.log.warning(f"not changing {shown!r}: on another filesystem")
            self.skipped += 1
            return
        if owner_may_change(st, self.config, self.galaxy_uid):
            if linked_persons_file(st, self.galaxy_uid):
                self.hold(fd, st, shown)
            else:
                fchown_fd(fd, self.uid, self.gid)
                self.changed += 1
        else:
            self.log.warning(f"not changing {shown!r}: owned by uid {st.st_uid} (links {st.st_nlink})")
            self.skipped += 1
        if not stat.S_ISDIR(st.st_mode):
            return
        if depth >= MAX_DEPTH:
            raise Refused(f"{shown!r} is nested deeper than {MAX_DEPTH} levels")
        # "." relative to the O_PATH descriptor: the same directory, now readable; no name is looked up.
        dir_fd = os.open(".", os.O_RDONLY | os.O_DIRECTORY | O_CLOEXEC, dir_fd=fd)
        try:
            with os.scandir(dir_fd) as entries:
                names = [e.name for e in entries]
            for name in names:
                try:
                    child = os.open(name, O_PATH | os.O_NOFOLLOW | O_CLOEXEC, dir_fd=dir_fd)
                except FileNotFoundError:
                    continue
                try:
                    self.entry(child, f"{shown}/{name}", depth + 1, device)
                finally:
                    os.close(child)
        finally:
            os.close(dir_fd)


def chown_target(user, gid_text, config, galaxy):
    """The passwd entry and gid to hand a tree over to, if that is allowed.

    The Galaxy user gets its files back with its primary group; anyone else must be a person, and the
    group one of that person's groups: the primary group, or a group in the range of people's groups.
    """
    pw = lookup_user(user)
    gid = _parse_id(gid_text, "group")
    if gid == 0:
        raise Refused("refusing gid 0")
    if pw.pw_uid == galaxy.pw_uid:
        if gid != galaxy.pw_gid:
            raise Refused(f"the Galaxy user gets its files back only with its primary group {galaxy.pw_gid}, not {gid}")
        return pw, gid
    check_human(pw, config)
    try:
        group = grp.getgrgid(gid)
    except (KeyError, OverflowError):
        raise Refused(f"no group with gid {gid}") from None
    if gid != pw.pw_gid:
        if gid not in _groups_of(pw):
            raise Refused(f"{pw.pw_name!r} is not a member of group {group.gr_name!r} (gid {gid})")
        if not config.gid_min <= gid <= config.gid_max or group.gr_name in config.denied_users:
            raise Refused(
                f"refusing group {group.gr_name!r} (gid {gid}): a system or service group, outside "
                f"{config.gid_min}..{config.gid_max}"
            )
    try:
        by_name = grp.getgrnam(group.gr_name)
    except KeyError:
        raise Refused(f"group {group.gr_name!r} does not resolve back to gid {gid}") from None
    if by_name.gr_gid != gid:
        raise Refused(f"group name {group.gr_name!r} resolves to gid {by_name.gr_gid}, not {gid}")
    return pw, gid


def _denied_uids(config):
    uids = set()
    for name in config.denied_users:
        try:
            uids.add(pwd.getpwnam(name).pw_uid)
        except KeyError:
            continue
    return uids


def chown_parser():
    return script_parser(
        "gxhpc_chown.py",
        "Hand a Galaxy job working directory to a user, confined to the configured roots.",
        ("path", "job working directory (or a path below new_file_path)"),
        ("user", "name (or uid) of the new owner"),
        ("gid", "numeric id of the new group"),
    )


def chown_main(argv, config_file=CONFIG_FILE, stderr=None):
    def action(args, config):
        if not config.allowed_roots:
            raise Refused("no allowed_roots are configured")
        root, parts = confine(args.path, config.allowed_roots)
        try:
            galaxy = pwd.getpwnam(config.galaxy_user)
        except KeyError:
            raise Failed(f"the Galaxy user {config.galaxy_user!r} does not exist") from None
        pw, gid = chown_target(args.user, args.gid, config, galaxy)
        config.denied_uids = _denied_uids(config) - {galaxy.pw_uid}
        galaxy_gids = set(os.getgrouplist(galaxy.pw_name, galaxy.pw_gid))
        root_fd = open_root(root, galaxy.pw_uid, galaxy_gids)
        try:
            parent_fd, entry_fd = open_below(root_fd, parts, args.path)
        finally:
            os.close(root_fd)
        try:
            st = os.fstat(entry_fd)
            if stat.S_ISLNK(st.st_mode):
                raise Refused(f"{args.path!r} is a symlink")
            work = Chown(pw.pw_uid, gid, config, galaxy.pw_uid, log, args.path)
            try:
                work.entry(entry_fd, args.path, 0, st.st_dev)
                work.finish()  # only after a walk that met every entry: the links are all counted
            finally:
                work.close()
        finally:
            os.close(entry_fd)
            os.close(parent_fd)
        return f"changed {args.path!r} to {pw.pw_name!r}:{gid} ({work.changed} entries, {work.skipped} skipped)"

    log = Log("gxhpc_chown", stderr=stderr)
    return run_script(log, "chown", chown_parser(), argv, config_file, action, subject=lambda a: repr(a.path))


# ---------------------------------------------------------------------------------------------------


def run_script(log, verb, parser, argv, config_file, action, subject=None):
    """The frame of the three scripts: parse ``argv``, load the settings, run ``action(args, config)``.

    ``action`` returns the line logged on success. Galaxy, the caller, is not trusted: whatever goes wrong
    is one log line and an exit code (EXIT_USAGE, EXIT_REFUSED or EXIT_FAILED), never a traceback.
    """
    args = _parse(parser, argv, log)
    if isinstance(args, int):
        return args
    try:
        config = load_config(config_file)
        log.facility = SYSLOG_FACILITIES[config.syslog_facility]
        done = action(args, config)
    except Refused as exc:
        log.error(f"{verb} refused: {exc}")
        return EXIT_REFUSED
    except Failed as exc:
        log.error(f"{verb} failed: {exc}")
        return EXIT_FAILED
    except Exception as exc:  # noqa: BLE001 - DRMAA raises its own exception classes; never a traceback
        what = f"{verb} of {subject(args)}" if subject else verb
        log.error(f"{what} failed: {type(exc).__name__}: {str(exc)!r}")
        return EXIT_FAILED
    log.info(done)
    return EXIT_OK


def _parse(parser, argv, log):
    """Parsed arguments, or the exit code when they are wrong (argparse has printed why)."""
    try:
        return parser.parse_args(argv)
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else EXIT_USAGE
        if code != EXIT_OK:
            log.error(f"bad arguments: {list(argv)!r}")
        return code


# ---------------------------------------------------------------------------------------------------
# Preflight: run by the role (as root, with Ansible's Python) before it changes anything.

# Where a directory for files that sudo-run code may come near must not be: system trees.
SYSTEM_PREFIXES = (
    "/etc",
    "/usr",
    "/bin",
    "/sbin",
    "/lib",
    "/lib32",
    "/lib64",
    "/libx32",
    "/boot",
    "/root",
    "/var/lib",
    "/dev",
    "/proc",
    "/sys",
    "/run",
)


def _under(path, parent):
    parent = parent.rstrip("/") or "/"
    return path == parent or path.startswith(parent + "/") or parent == "/"


def human_range(path=ADDUSER_CONF):
    """FIRST_UID..LAST_UID and FIRST_GID..LAST_GID from adduser.conf(5), Debian's defaults where unset."""
    found = dict(DEFAULT_HUMAN_RANGE)
    keys = {"FIRST_UID": "uid_min", "LAST_UID": "uid_max", "FIRST_GID": "gid_min", "LAST_GID": "gid_max"}
    try:
        with open(path) as handle:
            for line in handle:
                match = re.match(r"^\s*([A-Z_]+)\s*=\s*\"?([0-9]+)\"?\s*$", line, re.ASCII)
                if match and match.group(1) in keys:
                    found[keys[match.group(1)]] = int(match.group(2))
    except OSError:
        pass
    return found


def resolve_roots(roots):
    """Each root with its real path, resolved now (preflight, as root) and written into the settings."""
    return [{"path": root, "real": os.path.realpath(root)} for root in roots]


def _describe(path, st):
    return f"{path!r} (owner uid {st.st_uid}, gid {st.st_gid}, mode {_mode(st)})"


def root_chain_problems(root, galaxy_uid, galaxy_gids, name="galaxy_real_user_allowed_roots"):
    """The directories above ``root`` (resolved) that the Galaxy user could change; missing ones are created by root."""
    problems = []
    real = os.path.realpath(root)
    current = "/"
    for part in ["", *real[1:].split("/")[:-1]]:
        current = os.path.join(current, part) if part else "/"
        try:
            st = os.lstat(current)
        except FileNotFoundError:
            break
        if writable_by(st, galaxy_uid, galaxy_gids):
            problems.append(
                f"{name}: {root!r}: the directory {_describe(current, st)} above it is writable by the Galaxy user, "
                "which could replace the root with a symlink. Make it root-owned and not group/world-writable, or "
                "move the root."
            )
    return problems


def new_file_path_problems(path, scripts_dir, sys_path, galaxy_home, galaxy_uid=None):
    """Why ``path`` is not a dedicated directory for Galaxy's new_file_path (which becomes 1777)."""
    name = "galaxy_real_user_new_file_path"
    problems = []
    real = os.path.realpath(path)
    scripts_real = os.path.realpath(scripts_dir)
    home = os.path.realpath(galaxy_home) if galaxy_home else None
    for form in sorted({path, real}):
        if _under(form, scripts_real) or _under(scripts_real, form):
            problems.append(
                f"{name}: {path!r} is, contains or lies inside the scripts directory {scripts_dir!r}; a world-writable "
                "directory there lets anyone plant modules sudo runs as root."
            )
            break
    for form in sorted({path, real}):
        in_home = home is not None and home != "/" and _under(form, home) and form != home
        for prefix in SYSTEM_PREFIXES:
            if _under(form, prefix) and not in_home:
                problems.append(
                    f"{name}: {path!r} lies under the system directory {prefix}; use a directory of its own in "
                    f"Galaxy's data tree (such as {os.path.join(home or '/srv/galaxy', 'tmp')!r})."
                )
                break
    for entry in sys_path:
        if not entry:
            continue
        entry_real = os.path.realpath(entry)
        if any(_under(form, entry_real) or _under(entry_real, form) for form in sorted({path, real})):
            problems.append(
                f"{name}: {path!r} overlaps the interpreter's module path entry {entry!r}; Python would import "
                "what anyone put there."
            )
            break
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return problems
    if stat.S_ISLNK(st.st_mode):
        problems.append(f"{name}: {path!r} is a symlink; give the real directory.")
    elif not stat.S_ISDIR(st.st_mode):
        problems.append(f"{name}: {path!r} exists and is not a directory.")
    else:
        ours = st.st_uid == 0 and stat.S_IMODE(st.st_mode) == 0o1777
        if not ours and st.st_uid != galaxy_uid and os.listdir(path):
            problems.append(
                f"{name}: {_describe(path, st)} is not empty and belongs to another account; it must be absent, "
                "empty, the Galaxy user's, or the role's own (root, 1777)."
            )
    return problems


def new_file_path_parent_problems(path):
    """Why the role cannot create ``path``: its parent directory is missing.

    The role creates new_file_path itself (root, 1777); a file task would create missing parents
    with that same mode, leaving Galaxy's tree world-writable. Parents are the site's to create.
    """
    parent = os.path.dirname(os.path.normpath(path))
    if os.path.lexists(path) or os.path.isdir(parent):
        return []
    return [
        f"galaxy_real_user_new_file_path: {path!r}: its parent directory {parent!r} does not exist. The role "
        "creates only new_file_path itself (world-writable and sticky), never its parents: create them first, "
        "root-owned and not writable by the Galaxy user (as a Galaxy installation leaves them)."
    ]


def _path_chain(path):
    """``path`` and every directory above it, top-down."""
    result = ["/"]
    for part in path[1:].split("/"):
        if part:
            result.append(os.path.join(result[-1], part))
    return result


def _root_owned_problem(path, st, what):
    if st.st_uid != 0 or st.st_mode & (stat.S_IWGRP | stat.S_IWOTH) and not stat.S_ISLNK(st.st_mode):
        return (
            f"galaxy_real_user_python: {what} {_describe(path, st)} must be owned by root and not group/world-writable."
        )
    return None


def _chain_problems(path, what):
    """Every component of ``path``, every symlink on the way and what they point to: root-owned, not g/w-writable."""
    problems = []
    seen = set()
    pending = [os.path.abspath(path)]
    while pending and len(seen) < 64:
        current = pending.pop()
        if current in seen:
            continue
        seen.add(current)
        for component in _path_chain(current):
            try:
                st = os.lstat(component)
            except OSError as exc:
                problems.append(f"galaxy_real_user_python: {what} {component!r} cannot be inspected: {exc.strerror}")
                return problems
            problem = _root_owned_problem(component, st, what)
            if problem:
                problems.append(problem)
            if stat.S_ISLNK(st.st_mode):
                target = os.readlink(component)
                pending.append(os.path.normpath(os.path.join(os.path.dirname(component), target)))
                break
    return problems


PROBE = (
    "import json, sys, sysconfig; print(json.dumps({'path': sys.path, 'stdlib': sysconfig.get_path('stdlib'), "
    "'platstdlib': sysconfig.get_path('platstdlib'), 'prefix': sys.prefix, 'base_prefix': sys.base_prefix, "
    "'executable': sys.executable, 'version': '%d.%d' % sys.version_info[:2]}))"
)


def probe_interpreter(python):
    """What ``python`` says its module path and standard library are, asked as nobody (never as root)."""
    result = subprocess.run(  # noqa: S603 - fixed argv, interpreter checked before
        [python, "-I", "-c", PROBE],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
        user=NOBODY,
        group=NOBODY,
        extra_groups=[],
        env={"PATH": "/usr/bin:/bin"},
        cwd="/",
    )
    return json.loads(result.stdout)


def interpreter_problems(python, galaxy_uid, galaxy_gids, probe=True, info=None):
    """The interpreter sudo runs, every symlink to it, its stdlib and its module path: root's only.

    ``info`` receives what the probe found (its ``path`` is the module path). The probe runs as
    nobody, and only once the interpreter's own chain passed, so a doubtful interpreter never runs
    with privileges here.
    """
    problems = _chain_problems(python, "the interpreter or a directory or link on its way")
    if problems or not probe:
        return problems
    try:
        found = probe_interpreter(python)
    except (OSError, ValueError, KeyError, subprocess.SubprocessError) as exc:
        return [f"galaxy_real_user_python: {python!r} could not be asked for its module path: {exc}"]
    if info is not None:
        info.update(found)
    if found["prefix"] != found["base_prefix"]:
        problems.append(
            f"galaxy_real_user_python: {python!r} is a virtualenv interpreter (prefix {found['prefix']!r}); use a "
            "root-owned system Python."
        )
    for tree in sorted({found["stdlib"], found["platstdlib"]} - {None, ""}):
        problems.extend(_chain_problems(tree, "the standard library directory"))
        for dirpath, dirnames, filenames in os.walk(tree):
            for entry in dirnames + filenames:
                full = os.path.join(dirpath, entry)
                problem = _root_owned_problem(full, os.lstat(full), "the standard library file")
                if problem:
                    problems.append(problem)
                    if len(problems) > 20:
                        return problems
    for entry in found["path"]:
        if not entry or not os.path.exists(entry):
            continue
        problems.extend(_chain_problems(entry, "the module path entry"))
        if os.path.isdir(entry):
            # site.py runs every .pth file of a site directory at startup, as root.
            for name in sorted(os.listdir(entry)):
                full = os.path.join(entry, name)
                problem = _root_owned_problem(full, os.lstat(full), "the module path entry")
                if problem:
                    problems.append(problem)
    return problems


def galaxy_scripts_problems(scripts, pins, galaxy_uid, galaxy_gids):
    """Galaxy's own scripts may go into the root-run directory only if root owns them or the admin pinned them."""
    problems = []
    for path in scripts:
        name = os.path.basename(path)
        try:
            fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | O_CLOEXEC)
        except OSError as exc:
            problems.append(f"galaxy_real_user_scripts_source: galaxy, but {path!r} cannot be opened: {exc.strerror}")
            continue
        with os.fdopen(fd, "rb") as handle:
            st = os.fstat(handle.fileno())
            digest = hashlib.sha256(handle.read()).hexdigest()
        if name in pins:
            if pins[name] != digest:
                problems.append(
                    f"galaxy_real_user_galaxy_scripts_sha256: {name}: {path!r} has sha256 {digest}, not the pinned "
                    f"{pins[name]!r}; check what changed before updating the pin."
                )
            continue
        chain = [c for c in _path_chain(os.path.dirname(path)) if os.path.lexists(c)]
        writable = [c for c in chain if writable_by(os.lstat(c), galaxy_uid, galaxy_gids)]
        if st.st_uid != 0 or st.st_mode & (stat.S_IWGRP | stat.S_IWOTH) or writable:
            problems.append(
                f"galaxy_real_user_galaxy_scripts_sha256: {name}: {_describe(path, st)} "
                f"{'is in ' + repr(writable[0]) + ', which ' if writable else ''}the Galaxy user can change: pin its "
                f"sha256 ({digest}) in galaxy_real_user_galaxy_scripts_sha256 after reviewing it, or make it "
                "root-owned."
            )
    return problems


def preflight(request):
    """Host checks of the role's settings; returns problems and what the settings file is to hold."""
    try:
        galaxy = pwd.getpwnam(request["galaxy_user"])
    except KeyError:
        return {"problems": [f"galaxy_real_user_galaxy_user: {request['galaxy_user']!r} is not an account here."]}
    galaxy_gids = set(os.getgrouplist(galaxy.pw_name, galaxy.pw_gid))
    problems = []
    ranges = human_range(request.get("adduser_conf") or ADDUSER_CONF)
    for key in ranges:
        # Ansible renders an unset (null) variable as None or 'None'.
        value = request.get(key)
        if value not in (None, "", "None"):
            if not NUMBER_PATTERN.fullmatch(str(value)) or not 1 <= int(value) <= ID_MAX:
                problems.append(f"galaxy_real_user_{key}: {value!r} is not a uid/gid from 1 to {ID_MAX}.")
                continue
            ranges[key] = int(value)
    if ranges["uid_min"] > ranges["uid_max"] or ranges["gid_min"] > ranges["gid_max"]:
        problems.append(f"galaxy_real_user_uid_min/uid_max/gid_min/gid_max: empty range {ranges!r}.")
    roots = list(request.get("allowed_roots") or [])
    for root in roots + [request["new_file_path"]]:
        problems.extend(root_chain_problems(root, galaxy.pw_uid, galaxy_gids))
    python = request["python"]
    found = {"path": []}
    python_problems = interpreter_problems(
        python,
        galaxy.pw_uid,
        galaxy_gids,
        probe=request.get("scripts_source", "collection") == "collection",
        info=found,
    )
    problems.extend(python_problems)
    problems.extend(
        new_file_path_problems(
            request["new_file_path"], request["scripts_dir"], found["path"], galaxy.pw_dir, galaxy_uid=galaxy.pw_uid
        )
    )
    problems.extend(new_file_path_parent_problems(request["new_file_path"]))
    for name in ("scripts_dir", "config_file"):
        target = request[name] if name == "scripts_dir" else os.path.dirname(request[name])
        for component in _path_chain(target):
            try:
                st = os.lstat(component)
            except FileNotFoundError:
                break
            if st.st_uid != 0 or st.st_mode & (stat.S_IWGRP | stat.S_IWOTH) or stat.S_ISLNK(st.st_mode):
                problems.append(
                    f"galaxy_real_user_{name}: {_describe(component, st)} must be a root-owned directory writable by "
                    "nobody else (no symlink): sudo runs the real-user scripts as root from below it."
                )
    if request.get("scripts_source") == "galaxy":
        problems.extend(
            galaxy_scripts_problems(
                request.get("galaxy_scripts", []),
                request.get("galaxy_scripts_sha256") or {},
                galaxy.pw_uid,
                galaxy_gids,
            )
        )
    # python_version: where a virtualenv made by this interpreter keeps its packages (lib/pythonX.Y).
    return {
        "problems": problems,
        "allowed_roots": resolve_roots(roots),
        "python_version": found.get("version"),
        **ranges,
    }


if __name__ == "__main__":
    # The role's preflight: gxhpc_real_user.py preflight '<json request>'; prints the JSON answer.
    if len(sys.argv) != 3 or sys.argv[1] != "preflight":
        sys.stderr.write("usage: gxhpc_real_user.py preflight '<json>'\n")
        sys.exit(EXIT_USAGE)
    print(json.dumps(preflight(json.loads(sys.argv[2]))))
