# Copyright: gxhpc.cluster contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Cluster readiness, the gathering half: what each host reports (modules cluster_facts and cluster_job_probe).

Mounts and NFS options, users, file hashes, the Python version, and the probe files and jobs that show
whether a path is the same filesystem on the Galaxy server and on a node. module_utils/cluster_check.py
turns every host's report into named failures.
"""

import grp
import hashlib
import os
import pwd
import shlex
import subprocess

NFS_TYPES = frozenset(("nfs", "nfs4"))

PROBE_PREFIX = ".gxhpc-cluster-check-"


def _unescape_mount_field(value):
    # /proc/self/mountinfo escapes space, tab, newline and backslash as octal.
    for code, char in (("\\040", " "), ("\\011", "\t"), ("\\012", "\n"), ("\\134", "\\")):
        value = value.replace(code, char)
    return value


def parse_mountinfo(text):
    """Parse /proc/self/mountinfo into a list of mounts (see proc(5))."""
    mounts = []
    for line in text.splitlines():
        if " - " not in line:
            continue
        left, right = line.split(" - ", 1)
        fields = left.split()
        rest = right.split()
        if len(fields) < 6 or len(rest) < 2:
            continue
        options = fields[5].split(",")
        super_options = rest[2].split(",") if len(rest) > 2 else []
        mounts.append(
            {
                "device": fields[2],
                "root": _unescape_mount_field(fields[3]),
                "mount_point": _unescape_mount_field(fields[4]),
                "fstype": rest[0],
                "source": _unescape_mount_field(rest[1]),
                # Per-mount and per-superblock options together: NFS reports its caching in the latter.
                "options": options + [o for o in super_options if o not in options],
            }
        )
    return mounts


def _is_under(path, mount_point):
    return mount_point == "/" or path == mount_point or path.startswith(mount_point.rstrip("/") + "/")


def mount_of(path, device, mounts):
    """Return the mount that holds ``path`` (already resolved), on ``device`` ("major:minor") if known.

    The deepest mount point above the path wins; with stacked mounts the last one mounted does.
    """
    best = None
    for mount in mounts:
        if not _is_under(path, mount["mount_point"]):
            continue
        if best is None or len(mount["mount_point"]) >= len(best["mount_point"]):
            best = mount
    if best is not None and device and best["device"] != device:
        # A path on another device than the deepest mount point suggests: prefer a match by device.
        by_device = [m for m in mounts if m["device"] == device and _is_under(path, m["mount_point"])]
        if by_device:
            best = max(by_device, key=lambda m: len(m["mount_point"]))
    return best


def nfs_attribute_caching(fstype, options):
    """True when an NFS mount caches attributes (neither ``noac`` nor all attribute timeouts 0)."""
    if fstype not in NFS_TYPES:
        return False
    values = {}
    flags = set()
    for option in options:
        key, sep, value = option.partition("=")
        if sep:
            values[key] = value
        else:
            flags.add(key)
    if "noac" in flags or values.get("actimeo") == "0":
        return False
    timeouts = ("acregmin", "acregmax", "acdirmin", "acdirmax")
    return not all(values.get(t) == "0" for t in timeouts)


def path_facts(path, mounts):
    """What this host has at ``path``: existence, type, owner, and the filesystem holding it."""
    facts = {"path": path, "exists": False}
    try:
        st = os.stat(path)
    except OSError as exc:
        facts["error"] = exc.strerror
        return facts
    real = os.path.realpath(path)
    device = f"{os.major(st.st_dev)}:{os.minor(st.st_dev)}"
    facts.update(
        exists=True,
        is_dir=os.path.isdir(path),
        realpath=real,
        device=device,
        uid=st.st_uid,
        gid=st.st_gid,
        mode=f"{st.st_mode & 0o7777:04o}",
    )
    mount = mount_of(real, device, mounts)
    if mount:
        facts.update(
            fstype=mount["fstype"],
            mount_point=mount["mount_point"],
            source=mount["source"],
            mount_options=mount["options"],
            attribute_caching=nfs_attribute_caching(mount["fstype"], mount["options"]),
        )
    return facts


def user_facts(name):
    """uid, gid and login shell of ``name`` from the name service (files, LDAP, SSSD alike)."""
    try:
        entry = pwd.getpwnam(name)
    except KeyError:
        return {"name": name, "exists": False}
    try:
        group = grp.getgrgid(entry.pw_gid).gr_name
    except KeyError:
        group = None
    # An empty shell field means /bin/sh (passwd(5)).
    shell = entry.pw_shell or "/bin/sh"
    return {
        "name": name,
        "exists": True,
        "uid": entry.pw_uid,
        "gid": entry.pw_gid,
        "group": group,
        "home": entry.pw_dir,
        "shell": shell,
        "shell_executable": bool(shell) and os.path.isfile(shell) and os.access(shell, os.X_OK),
    }


def sha256_of(path):
    """sha256 of a file's content, or None when it cannot be read. Reads in chunks; returns no content."""
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as handle:
            for chunk in iter(lambda: handle.read(65536), b""):
                digest.update(chunk)
    except OSError:
        return None
    return digest.hexdigest()


def python_version_of(output):
    """ "3.11" from the output of ``python -c 'import sys; print(sys.version_info[:2])'``-like text."""
    text = (output or "").strip()
    parts = text.replace("Python", "").strip().split(".")
    if len(parts) >= 2 and parts[0].isdigit() and parts[1].isdigit():
        return f"{parts[0]}.{parts[1]}"
    return None


def write_probe(directory, name, content, uid=None, gid=None):
    """Write ``content`` to ``directory/name`` as the given user (in a child process), else as root.

    As the Galaxy user first: on NFS with root_squash root may not write, and what matters is that
    Galaxy's own files reach the nodes. Directories the Galaxy user may not write (a root-owned
    virtualenv) are written as root. Returns None on success, else the reason it failed.
    """
    target = os.path.join(directory, name)
    errors = []
    if uid is not None and os.geteuid() == 0:
        error = _write_as(target, content, uid, gid)
        if error is None:
            return None
        errors.append(f"as uid {uid}: {error}")
    try:
        _write_file(target, content)
        return None
    except OSError as exc:
        errors.append(f"as uid {os.geteuid()}: {exc.strerror}")
    return "; ".join(errors)


def _write_file(target, content):
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    with os.fdopen(fd, "w") as handle:
        handle.write(content)
        handle.flush()
        os.fsync(handle.fileno())
    os.chmod(target, 0o644)


def _write_as(target, content, uid, gid):
    return run_as(uid, gid, lambda: _write_file(target, content))


def remove_probe(target, uid=None, gid=None):
    """Remove a probe file as root, else as the user who could write it (root_squash). None or the reason."""
    try:
        os.unlink(target)
        return None
    except FileNotFoundError:
        return None
    except OSError as exc:
        if uid is None or os.geteuid() != 0:
            return exc.strerror
    return run_as(uid, gid, lambda: os.unlink(target))


def run_as(uid, gid, action):
    """Run ``action`` in a child process as uid/gid; None on success, else the error's text."""
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # child: drop to the user, act, report through the pipe
        os.close(read_fd)
        status = 0
        try:
            os.setgroups([])
            os.setgid(gid)
            os.setuid(uid)
            action()
        except OSError as exc:
            os.write(write_fd, (exc.strerror or str(exc)).encode())
            status = 1
        os.close(write_fd)
        os._exit(status)
    os.close(write_fd)
    with os.fdopen(read_fd, "rb") as handle:
        message = handle.read().decode(errors="replace")
    status = os.waitpid(pid, 0)[1]
    return None if status == 0 else (message or f"child exited with status {status}")


def run_command_as(argv, user, timeout):
    """Run ``argv`` as ``user`` (a user_facts() result) with its own environment; {rc, stdout, stderr}.

    subprocess switches uid, gid and groups itself: no sudo or runuser needed on the Galaxy host.
    """
    env = {
        "PATH": os.environ.get("PATH", "/usr/local/bin:/usr/bin:/bin"),
        "HOME": user.get("home") or "/",
        "USER": user["name"],
        "LOGNAME": user["name"],
        "LANG": "C.UTF-8",
    }
    kwargs = {}
    if os.geteuid() == 0:
        groups = [g.gr_gid for g in grp.getgrall() if user["name"] in g.gr_mem]
        kwargs = {"user": user["uid"], "group": user["gid"], "extra_groups": groups}
    try:
        done = subprocess.run(  # noqa: S603 - an argument list, no shell
            argv, capture_output=True, text=True, timeout=timeout, env=env, cwd="/", check=False, **kwargs
        )
    except FileNotFoundError as exc:
        return {"rc": 127, "stdout": "", "stderr": f"{argv[0]}: {exc.strerror}"}
    except subprocess.TimeoutExpired:
        return {"rc": 124, "stdout": "", "stderr": f"{argv[0]} did not finish within {timeout} s"}
    return {"rc": done.returncode, "stdout": done.stdout, "stderr": done.stderr}


def probe_script(paths, probe_name, python):
    """The shell script a job runs on a node: read each probe file, report python and identity.

    One line per fact, tab-separated, so that the output needs no JSON tool on the node.
    """
    # The python probe is %-formatted, not an f-string: it runs under whatever python the node has.
    lines = [
        "printf 'host\\t%s\\n' \"$(hostname -s)\"",
        'printf \'id\\t%s\\t%s\\n\' "$(id -u)" "$(id -g)"',
        f"printf 'python\\t%s\\n' \"$({shlex.quote(python)} -c 'import sys; print(\"%d.%d\" % sys.version_info[:2])'"
        ' 2>&1 | head -n 1)"',
    ]
    for path in paths:
        target = shlex.quote(os.path.join(path, probe_name))
        quoted = shlex.quote(path)
        lines.append(
            f"if [ -r {target} ]; then printf 'probe\\t%s\\tread\\t%s\\n' {quoted} \"$(head -c 200 {target})\"; "
            f"elif [ -d {quoted} ]; then printf 'probe\\t%s\\tabsent\\t\\n' {quoted}; "
            f"else printf 'probe\\t%s\\tnodir\\t\\n' {quoted}; fi"
        )
    return "\n".join(lines) + "\n"


def parse_probe_output(text):
    """Turn the probe script's output into {'host', 'uid', 'gid', 'python', 'paths': {path: {state, value}}}."""
    result = {"paths": {}}
    for line in (text or "").splitlines():
        fields = line.split("\t")
        if fields[0] == "host" and len(fields) >= 2:
            result["host"] = fields[1]
        elif fields[0] == "id" and len(fields) >= 3:
            result["uid"], result["gid"] = fields[1], fields[2]
        elif fields[0] == "python" and len(fields) >= 2:
            result["python"] = python_version_of(fields[1])
            result["python_output"] = fields[1]
        elif fields[0] == "probe" and len(fields) >= 4:
            result["paths"][fields[1]] = {"state": fields[2], "value": fields[3]}
    return result
