# Copyright: gxhpc.cluster contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Inspect a DRMAA 1.0 C library (libdrmaa) without starting a DRMAA session.

Two halves:

* ``query_library`` loads the library with ctypes and calls the three DRMAA 1.0 functions that
  the C binding allows before ``drmaa_init()``: ``drmaa_get_DRM_system``,
  ``drmaa_get_DRMAA_implementation`` and ``drmaa_version``. No job session is opened, so
  nothing is left behind on the cluster.
* ``elf_dynamic_info`` reads the ELF dynamic section of a shared object in pure Python (no
  binutils on the managed host needed) and returns its SONAME and its DT_NEEDED entries: which
  ``libslurm.so.N`` a libdrmaa was linked against is the fact that decides whether it still
  loads after a Slurm upgrade.
"""

import ctypes
import faulthandler
import json
import os
import re
import select
import signal
import struct
import time

# Buffer sizes from drmaa.h (DRMAA 1.0 C binding).
DRM_SYSTEM_BUFFER = 1024
DRMAA_IMPL_BUFFER = 1024
ERROR_STRING_BUFFER = 4096

DRMAA_FUNCTIONS = ("drmaa_get_DRM_system", "drmaa_get_DRMAA_implementation", "drmaa_version")

# ELF constants (System V gABI).
_ELF_MAGIC = b"\x7fELF"
_SHT_DYNAMIC = 6
_DT_NULL = 0
_DT_NEEDED = 1
_DT_SONAME = 14

# "SLURM 22.05.8" -> "22.05.8"; slurm-drmaa says only "SLURM" when slurmctld did not answer.
_DRM_VERSION_RE = re.compile(r"^\s*SLURM\s+(\S+)", re.IGNORECASE)


class DrmaaError(Exception):
    """The library is missing, cannot be loaded, is not a DRMAA library, or a call failed."""


def load_library(path):
    """Return a ``ctypes.CDLL`` for ``path`` or raise DrmaaError saying why it cannot be loaded."""
    if not os.path.exists(path):
        raise DrmaaError(f"DRMAA library {path} does not exist")
    if os.path.isdir(path):
        raise DrmaaError(f"DRMAA library {path} is a directory, not a shared library")
    try:
        # RTLD_GLOBAL as the Python drmaa package does: slurm-drmaa's own plugins need its symbols.
        return ctypes.CDLL(path, mode=ctypes.RTLD_GLOBAL)
    except OSError as exc:
        # dlopen's message names the missing dependency, e.g. "libslurm.so.38: cannot open shared
        # object file": the typical result of upgrading Slurm without rebuilding slurm-drmaa.
        raise DrmaaError(f"cannot load DRMAA library {path}: {exc}") from exc


def _function(lib, path, name, argtypes):
    try:
        func = getattr(lib, name)
    except AttributeError as exc:
        raise DrmaaError(
            f"{path} is not a DRMAA 1.0 library: it has no {name}() "
            f"(a DRMAA library exports {', '.join(DRMAA_FUNCTIONS)})"
        ) from exc
    func.argtypes = argtypes
    func.restype = ctypes.c_int
    return func


def _check(path, name, rc, diagnosis):
    if rc != 0:
        text = diagnosis.value.decode("utf-8", "replace").strip()
        raise DrmaaError(f"{name}() in {path} failed with DRMAA error {rc}: {text or 'no diagnosis'}")


def query_library(path):
    """Load the DRMAA library at ``path`` and return what it says about itself.

    Returns a dict with ``drm_system`` (e.g. ``SLURM 22.05.8``), ``drm_version`` (``22.05.8`` or
    ``None`` when the DRM did not report one), ``drmaa_implementation`` and ``drmaa_version``
    (``1.0``).
    """
    lib = load_library(path)
    size_t = ctypes.c_size_t
    text_args = [ctypes.c_char_p, size_t, ctypes.c_char_p, size_t]
    uint_p = ctypes.POINTER(ctypes.c_uint)

    get_system = _function(lib, path, "drmaa_get_DRM_system", text_args)
    get_impl = _function(lib, path, "drmaa_get_DRMAA_implementation", text_args)
    get_version = _function(lib, path, "drmaa_version", [uint_p, uint_p, ctypes.c_char_p, size_t])

    diagnosis = ctypes.create_string_buffer(ERROR_STRING_BUFFER)

    system = ctypes.create_string_buffer(DRM_SYSTEM_BUFFER)
    rc = get_system(system, DRM_SYSTEM_BUFFER, diagnosis, ERROR_STRING_BUFFER)
    _check(path, "drmaa_get_DRM_system", rc, diagnosis)

    impl = ctypes.create_string_buffer(DRMAA_IMPL_BUFFER)
    rc = get_impl(impl, DRMAA_IMPL_BUFFER, diagnosis, ERROR_STRING_BUFFER)
    _check(path, "drmaa_get_DRMAA_implementation", rc, diagnosis)

    major, minor = ctypes.c_uint(0), ctypes.c_uint(0)
    rc = get_version(ctypes.byref(major), ctypes.byref(minor), diagnosis, ERROR_STRING_BUFFER)
    _check(path, "drmaa_version", rc, diagnosis)

    drm_system = system.value.decode("utf-8", "replace").strip()
    return {
        "drm_system": drm_system,
        "drm_version": parse_drm_version(drm_system),
        "drmaa_implementation": impl.value.decode("utf-8", "replace").strip(),
        "drmaa_version": f"{major.value}.{minor.value}",
    }


def query_library_isolated(path, timeout=60):
    """Run ``query_library`` in a forked child and return its result.

    libslurm calls ``exit()`` when it finds no slurm.conf and may block while slurmctld does not
    answer; in a child, neither takes the caller down: the exit status, what the library printed
    on stderr, or the timeout becomes a DrmaaError.
    """
    result_r, result_w = os.pipe()
    stderr_r, stderr_w = os.pipe()
    pid = os.fork()
    if pid == 0:  # child: answer through the pipe, never return into the caller's code
        status = 0
        try:
            os.close(result_r)
            os.close(stderr_r)
            os.dup2(stderr_w, 2)
            # A crash is reported by the parent; Python's own dump would only add noise.
            if faulthandler.is_enabled():
                faulthandler.disable()
            try:
                answer = {"info": query_library(path)}
            except DrmaaError as exc:
                answer = {"error": str(exc)}
            except Exception as exc:  # noqa: BLE001 - anything the child hits goes back as text
                answer = {"error": f"{type(exc).__name__}: {exc}"}
            data = json.dumps(answer).encode("utf-8")
            while data:
                data = data[os.write(result_w, data) :]
        except BaseException:  # noqa: BLE001
            status = 70
        finally:
            os._exit(status)

    os.close(result_w)
    os.close(stderr_w)
    chunks = {result_r: [], stderr_r: []}
    open_fds = [result_r, stderr_r]
    deadline = time.time() + timeout
    timed_out = False
    try:
        while open_fds:
            remaining = deadline - time.time()
            if remaining <= 0:
                timed_out = True
                break
            # Python 3 retries select() itself when a signal interrupts it (PEP 475).
            ready = select.select(open_fds, [], [], remaining)[0]
            for fd in ready:
                chunk = os.read(fd, 65536)
                if chunk:
                    chunks[fd].append(chunk)
                else:
                    open_fds.remove(fd)
    finally:
        os.close(result_r)
        os.close(stderr_r)
    if timed_out:
        os.kill(pid, signal.SIGKILL)
    status = os.waitpid(pid, 0)[1]

    stderr = b"".join(chunks[stderr_r]).decode("utf-8", "replace").strip()
    said = (": " + stderr[-2000:]) if stderr else ""
    if timed_out:
        raise DrmaaError(f"{path} did not answer within {timeout} seconds (is slurmctld reachable?){said}")
    if os.WIFSIGNALED(status):
        raise DrmaaError(f"loading {path} killed the process with signal {os.WTERMSIG(status)}{said}")
    raw = b"".join(chunks[result_r])
    if os.WEXITSTATUS(status) != 0 or not raw:
        # libslurm's fatal() exits, e.g. "fatal: Unable to process configuration file".
        raise DrmaaError(f"{path} made the process exit with status {os.WEXITSTATUS(status)} before answering{said}")
    answer = json.loads(raw.decode("utf-8"))
    if "error" in answer:
        raise DrmaaError(answer["error"])
    return answer["info"]


def parse_drm_version(drm_system):
    """``SLURM 22.05.8`` -> ``22.05.8``; ``None`` when the string carries no version."""
    match = _DRM_VERSION_RE.match(drm_system or "")
    return match.group(1) if match else None


def elf_dynamic_info(path):
    """Return ``{"soname": str or None, "needed": [str, ...]}`` from an ELF shared object.

    Raises DrmaaError when ``path`` is not an ELF file or has no dynamic section.
    """
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError as exc:
        raise DrmaaError(f"cannot read {path}: {exc}") from exc
    if data[:4] != _ELF_MAGIC or len(data) < 64:
        raise DrmaaError(f"{path} is not an ELF shared object")

    elf_class, elf_data = data[4], data[5]
    if elf_class not in (1, 2) or elf_data not in (1, 2):
        raise DrmaaError(f"{path} has an unknown ELF class or byte order")
    is64 = elf_class == 2
    order = "<" if elf_data == 1 else ">"

    try:
        if is64:
            shoff, shentsize, shnum = _unpack(order + "Q", data, 0x28)[0], *_unpack(order + "HH", data, 0x3A)
        else:
            shoff, shentsize, shnum = _unpack(order + "I", data, 0x20)[0], *_unpack(order + "HH", data, 0x2E)
        sections = [_section(data, order, is64, shoff + i * shentsize) for i in range(shnum)]
        dynamic = [s for s in sections if s["type"] == _SHT_DYNAMIC]
        if not dynamic:
            raise DrmaaError(f"{path} has no dynamic section: not a shared library")
        dyn = dynamic[0]
        strtab = sections[dyn["link"]]
        entry_format = order + ("qQ" if is64 else "iI")
        entry_size = struct.calcsize(entry_format)
        soname, needed = None, []
        for offset in range(dyn["offset"], dyn["offset"] + dyn["size"], entry_size):
            tag, value = _unpack(entry_format, data, offset)
            if tag == _DT_NULL:
                break
            if tag in (_DT_NEEDED, _DT_SONAME):
                name = _string(data, strtab["offset"] + value)
                if tag == _DT_SONAME:
                    soname = name
                else:
                    needed.append(name)
    except (struct.error, IndexError) as exc:
        raise DrmaaError(f"{path} is a truncated or malformed ELF file: {exc}") from exc
    return {"soname": soname, "needed": needed}


def libslurm_of(needed):
    """The libslurm entry among DT_NEEDED names (``libslurm.so.38``), or ``None``."""
    for name in needed:
        if name.startswith("libslurm.so") or name.startswith("libslurmfull"):
            return name
    return None


def _unpack(fmt, data, offset):
    return struct.unpack_from(fmt, data, offset)


def _section(data, order, is64, offset):
    if is64:
        _name, stype, _flags, _addr, soffset, size, link = _unpack(order + "IIQQQQI", data, offset)
    else:
        _name, stype, _flags, _addr, soffset, size, link = _unpack(order + "IIIIIII", data, offset)
    return {"type": stype, "offset": soffset, "size": size, "link": link}


def _string(data, offset):
    end = data.index(b"\x00", offset)
    return data[offset:end].decode("utf-8", "replace")
