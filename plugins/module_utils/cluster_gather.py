# Copyright: gxhpc.cluster contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Cluster readiness, the gathering half: what each host reports (modules cluster_facts and cluster_job_probe).

Mounts and NFS options, users, file hashes, the Python version, and the probe files and jobs that show
whether a path is the same filesystem on the Galaxy server and on a node. For Pulsar, which shares no
filesystem: whether a Pulsar's REST URL answers and takes the token, whether an AMQP broker takes the
credentials (a login, nothing sent through it) and whether Galaxy's URL answers (module cluster_pulsar_probe).
module_utils/cluster_check.py turns every host's report into named failures.
"""

import grp
import hashlib
import http.client
import json
import os
import pwd
import shlex
import socket
import ssl
import struct
import subprocess
import urllib.error
from urllib.parse import quote, unquote, urlsplit

from ansible.module_utils import urls

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


# -- Pulsar: the network instead of a shared filesystem ------------------------------------------------------------
# Each probe returns {"state": ..., "detail": ...}; the states are what module_utils/cluster_check.py names:
# ok, unreachable (no connection, DNS, TLS, timeout), refused (token or credentials), vhost (the broker's
# account may not use the virtual host), error (anything else that answered).


def redact_url(url):
    """``url`` with its password (if any) replaced by ***, for messages."""
    try:
        parts = urlsplit(url)
        if parts.password is None:
            return url
        netloc = parts.netloc.rsplit("@", 1)[1]
        user = parts.username or ""
        return parts._replace(netloc=f"{user}:***@{netloc}").geturl()
    except ValueError:
        return "(an unparsable URL)"


# What a GET that got no HTTP answer raises: refused, DNS, timeout, TLS, or something that is not HTTP.
NO_ANSWER = (OSError, ValueError, http.client.HTTPException, urls.ConnectionError, urls.SSLValidationError)


def _http_get(url, timeout):
    """(status, body) of a GET; status 0 and the reason when nothing answered."""
    try:
        response = urls.open_url(url, headers={"Accept": "application/json"}, timeout=timeout, follow_redirects="safe")
        with response:
            return response.status, response.read(4096).decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read(4096).decode("utf-8", "replace") if exc.fp else ""
    except NO_ANSWER as exc:
        reason = getattr(exc, "reason", exc)
        return 0, str(reason) or type(exc).__name__


def _http_probe(url, path, timeout):
    """GET ``url`` + ``path``: (status, the JSON body if it is a mapping else {}, why nothing answered). The status is
    None for a URL that is not http(s), 0 when nothing answered."""
    if urlsplit(url).scheme not in ("http", "https"):
        return None, {}, f"{url} is not an http(s) URL"
    status, body = _http_get(url.rstrip("/") + path, timeout)
    if status == 0:
        return 0, {}, f"{url}: {body}"
    try:
        data = json.loads(body)
    except ValueError:
        data = {}
    return status, data if isinstance(data, dict) else {}, ""


def probe_pulsar(url, token, timeout=10):
    """Pulsar's REST URL answers and takes ``token``: GET <url>/healthz?private_token=..., which Pulsar (0.15.7 and
    later) answers with its version, and with 401 to a wrong or missing token."""
    status, data, reason = _http_probe(url, f"/healthz?private_token={quote(token or '', safe='')}", timeout)
    if not status:
        return {"state": "error" if status is None else "unreachable", "detail": reason}
    if status in (401, 403):
        return {"state": "refused", "detail": f"{url} answers {status}: the private_token is not Pulsar's"}
    if status == 200:
        return {"state": "ok", "detail": f"{url}: Pulsar {data.get('version', '?')}, token accepted"}
    if status == 404:
        return {"state": "error", "detail": f"{url} answers 404 to /healthz: not a Pulsar, or one older than 0.15.7"}
    return {"state": "error", "detail": f"{url} answers {status}"}


def probe_galaxy(url, timeout=10):
    """Galaxy's URL answers: GET <url>/api/version."""
    status, data, reason = _http_probe(url, "/api/version", timeout)
    if not status:
        return {"state": "error" if status is None else "unreachable", "detail": reason}
    if status == 200:
        return {"state": "ok", "detail": f"{url}: Galaxy {data.get('version_major', '?')}"}
    return {"state": "error", "detail": f"{url}/api/version answers {status}"}


# AMQP 0-9-1, as much as a login takes: protocol header, Connection.Start/StartOk (PLAIN), Tune/TuneOk, Open/OpenOk,
# Close. Frames are type (1 = method), channel, size, payload, 0xCE; a method payload is class id, method id, args.
AMQP_HEADER = b"AMQP\x00\x00\x09\x01"
AMQP_FRAME_END = b"\xce"


def _shortstr(text):
    data = text.encode("utf-8")
    return struct.pack("!B", len(data)) + data


def _longstr(data):
    return struct.pack("!I", len(data)) + data


def amqp_method_frame(class_id, method_id, arguments):
    payload = struct.pack("!HH", class_id, method_id) + arguments
    return struct.pack("!BHI", 1, 0, len(payload)) + payload + AMQP_FRAME_END


def _read_exactly(sock, size):
    data = b""
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            raise EOFError("the broker closed the connection")
        data += chunk
    return data


def _read_method(sock):
    """(class id, method id, arguments) of the next method frame (heartbeats and others are skipped)."""
    while True:
        head = _read_exactly(sock, 7)
        if head.startswith(b"AMQP"):
            raise ValueError("the broker does not speak AMQP 0-9-1 (it sent its own protocol header)")
        frame_type, _channel, size = struct.unpack("!BHI", head)
        payload = _read_exactly(sock, size)
        if _read_exactly(sock, 1) != AMQP_FRAME_END:
            raise ValueError("not an AMQP broker (bad frame end)")
        if frame_type == 1:
            class_id, method_id = struct.unpack("!HH", payload[:4])
            return class_id, method_id, payload[4:]


def _close_reason(arguments):
    code = struct.unpack("!H", arguments[:2])[0]
    length = arguments[2]
    return code, arguments[3 : 3 + length].decode("utf-8", "replace")


def amqp_target(url):
    """(host, port, user, password, vhost, tls) of an amqp://, amqps:// or pyamqp:// URL (kombu's defaults:
    guest/guest, vhost /, port 5672 or 5671)."""
    parts = urlsplit(url)
    if parts.scheme not in ("amqp", "amqps", "pyamqp"):
        raise ValueError(f"{redact_url(url)} is not an amqp:// URL")
    tls = parts.scheme == "amqps"
    vhost = unquote(parts.path[1:]) if parts.path not in ("", "/") else "/"
    return (
        parts.hostname or "localhost",
        parts.port or (5671 if tls else 5672),
        unquote(parts.username) if parts.username is not None else "guest",
        unquote(parts.password) if parts.password is not None else "guest",
        vhost,
        tls,
    )


def _amqp_answer(sock, expected, state, what, shown):
    """(the arguments of the broker's answer, None) if it is the method ``expected``; else (None, the probe's
    result): ``state`` when the broker closes the connection (Connection.Close with its reason, or the socket)."""
    try:
        class_id, method_id, arguments = _read_method(sock)
    except EOFError:
        return None, {"state": state, "detail": f"{shown}: the broker closed the connection at {what}"}
    if (class_id, method_id) == (10, 50):
        code, text = _close_reason(arguments)
        return None, {"state": state, "detail": f"{shown}: {what} refused ({code} {text})"}
    if (class_id, method_id) != expected:
        return None, {"state": "error", "detail": f"{shown}: unexpected answer {class_id}.{method_id} to {what}"}
    return arguments, None


def probe_amqp(url, timeout=10):
    """Log in to the broker of ``url`` and open its virtual host, then close: nothing is declared or sent."""
    try:
        host, port, user, password, vhost, tls = amqp_target(url)
    except ValueError as exc:
        return {"state": "error", "detail": str(exc)}
    shown = redact_url(url)
    try:
        sock = socket.create_connection((host, port), timeout=timeout)
    except OSError as exc:
        return {"state": "unreachable", "detail": f"{shown}: {exc}"}
    try:
        if tls:
            sock = ssl.create_default_context().wrap_socket(sock, server_hostname=host)
        sock.settimeout(timeout)
        sock.sendall(AMQP_HEADER)
        if _read_method(sock)[:2] != (10, 10):
            return {"state": "error", "detail": f"{shown}: no Connection.Start from the broker"}
        # Ask to be told why a login fails (RabbitMQ otherwise just closes the socket).
        capabilities = _shortstr("capabilities") + b"F" + _longstr(_shortstr("authentication_failure_close") + b"t\x01")
        start_ok = (
            _longstr(capabilities)
            + _shortstr("PLAIN")
            + _longstr(b"\x00" + user.encode("utf-8") + b"\x00" + password.encode("utf-8"))
            + _shortstr("en_US")
        )
        sock.sendall(amqp_method_frame(10, 11, start_ok))
        arguments, failed = _amqp_answer(sock, (10, 30), "refused", "the login", shown)
        if failed:
            return failed
        channel_max, frame_max, _heartbeat = struct.unpack("!HIH", arguments[:8])
        sock.sendall(amqp_method_frame(10, 31, struct.pack("!HIH", channel_max, frame_max, 0)))
        sock.sendall(amqp_method_frame(10, 40, _shortstr(vhost) + _shortstr("") + b"\x00"))
        _arguments, failed = _amqp_answer(sock, (10, 41), "vhost", f"virtual host {vhost}", shown)
        if failed:
            return failed
        sock.sendall(amqp_method_frame(10, 50, struct.pack("!H", 200) + _shortstr("gxhpc readiness check") + b"\0" * 4))
        return {"state": "ok", "detail": f"{shown}: logged in as {user}, virtual host {vhost}"}
    except (OSError, EOFError, ValueError, struct.error) as exc:
        state = "unreachable" if isinstance(exc, (socket.timeout, ssl.SSLError, ConnectionError)) else "error"
        return {"state": state, "detail": f"{shown}: {exc}"}
    finally:
        sock.close()


def pulsar_probes(side, destinations):
    """What one host tests for the Pulsar destinations of the Galaxy servers, as ``[(key, kind, url, token)]``.

    ``side`` 'galaxy': each REST destination's URL with its token, each MQ runner's broker. ``side`` 'pulsar' (a
    Pulsar host): each MQ broker and each ``galaxy_url``, the Galaxy that Pulsar fetches inputs from and sends
    outputs to. Each target once; the key names it in the report (``<kind> <URL without password>``).
    """
    probes, seen = [], set()
    for item in destinations or []:
        wanted = []
        if side == "galaxy" and item.get("transport") == "rest" and item.get("url"):
            wanted.append(("pulsar", item["url"], item.get("private_token") or ""))
        if item.get("transport") == "mq" and item.get("amqp_url"):
            wanted.append(("broker", item["amqp_url"], ""))
        if side == "pulsar" and item.get("galaxy_url"):
            wanted.append(("galaxy", item["galaxy_url"], ""))
        for kind, url, token in wanted:
            key = f"{kind} {redact_url(url)}"
            if (key, token) not in seen:
                seen.add((key, token))
                probes.append((key, kind, url, token))
    return probes


def run_pulsar_probes(side, destinations, timeout=10):
    """{key: {kind, url (without password), state, detail}} for each of :func:`pulsar_probes`."""
    results = {}
    for key, kind, url, token in pulsar_probes(side, destinations):
        if kind == "pulsar":
            result = probe_pulsar(url, token, timeout)
        elif kind == "broker":
            result = probe_amqp(url, timeout)
        else:
            result = probe_galaxy(url, timeout)
        results[key] = dict(result, kind=kind, url=redact_url(url))
    return results
