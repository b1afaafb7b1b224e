"""Tests for gxhpc.cluster.drmaa_info and module_utils/drmaa.py against stub libraries.

The stubs are compiled with gcc in a temporary directory: a fake ``libslurm.so.38`` and a fake
``libdrmaa.so.1`` linked against it that answers the three session-less DRMAA calls, so the
tests exercise real dlopen, real ELF parsing and the real ctypes calling convention.
"""

import json
import os
import shutil
import subprocess

import pytest
from ansible.module_utils.testing import patch_module_args

from ansible_collections.gxhpc.cluster.plugins.module_utils import drmaa
from ansible_collections.gxhpc.cluster.plugins.modules import drmaa_info

GCC = shutil.which("gcc")
pytestmark = pytest.mark.skipif(GCC is None, reason="gcc is needed to compile the stub libraries")

LIBSLURM_C = """
int slurm_stub_version(void) { return 38; }
"""

DRMAA_C = r"""
#include <stddef.h>
#include <string.h>
extern int slurm_stub_version(void);
static void put(char *buf, size_t len, const char *text) { strncpy(buf, text, len - 1); buf[len - 1] = 0; }
int drmaa_get_DRM_system(char *s, size_t sl, char *e, size_t el) {
    (void)e; (void)el; (void)slurm_stub_version(); put(s, sl, "SLURM 22.05.8"); return 0; }
int drmaa_get_DRMAA_implementation(char *s, size_t sl, char *e, size_t el) {
    (void)e; (void)el; put(s, sl, "DRMAA for Slurm 1.1.6"); return 0; }
int drmaa_version(unsigned *major, unsigned *minor, char *e, size_t el) {
    (void)e; (void)el; *major = 1; *minor = 0; return 0; }
"""

# slurm-drmaa without a reachable slurmctld: the DRM system carries no version.
DRMAA_NO_CONTROLLER_C = DRMAA_C.replace('"SLURM 22.05.8"', '"SLURM"')

DRMAA_FAILING_C = r"""
#include <stddef.h>
#include <string.h>
int drmaa_get_DRM_system(char *s, size_t sl, char *e, size_t el) {
    (void)s; (void)sl; strncpy(e, "slurm_load_ctl_conf: Zero Bytes were transmitted", el - 1); return 2; }
int drmaa_get_DRMAA_implementation(char *s, size_t sl, char *e, size_t el) {
    (void)s; (void)sl; (void)e; (void)el; return 0; }
int drmaa_version(unsigned *major, unsigned *minor, char *e, size_t el) {
    (void)e; (void)el; *major = 1; *minor = 0; return 0; }
"""

# libslurm without slurm.conf: fatal() prints and exits the whole process.
DRMAA_EXITING_C = DRMAA_C.replace(
    'put(s, sl, "SLURM 22.05.8"); return 0;',
    'fprintf(stderr, "fatal: Unable to process configuration file\\n"); exit(1);',
).replace("#include <string.h>", "#include <string.h>\n#include <stdio.h>\n#include <stdlib.h>")

# slurmctld that never answers.
DRMAA_HANGING_C = DRMAA_C.replace('put(s, sl, "SLURM 22.05.8"); return 0;', "for (;;) pause(); return 0;").replace(
    "#include <string.h>", "#include <string.h>\n#include <unistd.h>"
)

DRMAA_CRASHING_C = DRMAA_C.replace('put(s, sl, "SLURM 22.05.8"); return 0;', "*(volatile int *)0 = 1; return 0;")

NOT_DRMAA_C = """
int something_else(void) { return 0; }
"""


def _compile(directory, name, source, soname, libs=()):
    src = os.path.join(directory, name + ".c")
    with open(src, "w") as handle:
        handle.write(source)
    out = os.path.join(directory, soname)
    cmd = [GCC, "-shared", "-fPIC", "-o", out, src, "-Wl,-soname," + soname]
    if libs:
        # rpath: the stub finds its libslurm the way an installed libdrmaa finds the system's.
        cmd += ["-L" + directory, "-Wl,-rpath," + directory] + ["-l:" + lib for lib in libs]
    subprocess.run(cmd, check=True, capture_output=True)
    return out


@pytest.fixture(scope="module")
def stubs(tmp_path_factory):
    directory = str(tmp_path_factory.mktemp("drmaa-stubs"))
    libslurm = _compile(directory, "slurm", LIBSLURM_C, "libslurm.so.38")
    paths = {
        "dir": directory,
        "libslurm": libslurm,
        "good": _compile(directory, "drmaa", DRMAA_C, "libdrmaa.so.1", libs=["libslurm.so.38"]),
        "no_controller": _compile(directory, "nocontroller", DRMAA_NO_CONTROLLER_C, "libdrmaa-noctl.so.1"),
        "failing": _compile(directory, "failing", DRMAA_FAILING_C, "libdrmaa-failing.so.1"),
        "not_drmaa": _compile(directory, "notdrmaa", NOT_DRMAA_C, "libnotdrmaa.so.1"),
        "exiting": _compile(directory, "exiting", DRMAA_EXITING_C, "libdrmaa-exiting.so.1", libs=["libslurm.so.38"]),
        "hanging": _compile(directory, "hanging", DRMAA_HANGING_C, "libdrmaa-hanging.so.1", libs=["libslurm.so.38"]),
        "crashing": _compile(directory, "crashing", DRMAA_CRASHING_C, "libdrmaa-crash.so.1", libs=["libslurm.so.38"]),
    }
    # A libdrmaa whose libslurm is gone: what a Slurm upgrade without a rebuild leaves behind.
    # Its own soname (.37) so that the .38 the good stub loaded cannot stand in for it.
    orphan_dir = os.path.join(directory, "orphan")
    os.mkdir(orphan_dir)
    _compile(orphan_dir, "slurm", LIBSLURM_C, "libslurm.so.37")
    paths["orphan"] = _compile(orphan_dir, "drmaa", DRMAA_C, "libdrmaa.so.1", libs=["libslurm.so.37"])
    os.unlink(os.path.join(orphan_dir, "libslurm.so.37"))
    return paths


# module_utils ---------------------------------------------------------------------------------


def test_query_library_reports_system_implementation_and_version(stubs):
    info = drmaa.query_library(stubs["good"])
    assert info == {
        "drm_system": "SLURM 22.05.8",
        "drm_version": "22.05.8",
        "drmaa_implementation": "DRMAA for Slurm 1.1.6",
        "drmaa_version": "1.0",
    }


def test_query_library_without_controller_has_no_drm_version(stubs):
    info = drmaa.query_library(stubs["no_controller"])
    assert info["drm_system"] == "SLURM"
    assert info["drm_version"] is None


def test_elf_dynamic_info_reads_soname_and_needed(stubs):
    info = drmaa.elf_dynamic_info(stubs["good"])
    assert info["soname"] == "libdrmaa.so.1"
    assert "libslurm.so.38" in info["needed"]
    assert drmaa.libslurm_of(info["needed"]) == "libslurm.so.38"


def test_elf_dynamic_info_of_libslurm(stubs):
    assert drmaa.elf_dynamic_info(stubs["libslurm"])["soname"] == "libslurm.so.38"


def test_elf_dynamic_info_of_real_system_library():
    libc = "/lib/x86_64-linux-gnu/libc.so.6"
    if not os.path.exists(libc):
        pytest.skip("no glibc at " + libc)
    assert drmaa.elf_dynamic_info(libc)["soname"] == "libc.so.6"


@pytest.mark.parametrize(
    ("needed", "expected"),
    [
        (["libc.so.6", "libslurm.so.42"], "libslurm.so.42"),
        (["libslurmfull.so", "libc.so.6"], "libslurmfull.so"),
        (["libc.so.6"], None),
        ([], None),
    ],
)
def test_libslurm_of(needed, expected):
    assert drmaa.libslurm_of(needed) == expected


@pytest.mark.parametrize(
    ("system", "version"),
    [("SLURM 24.11.5", "24.11.5"), ("SLURM", None), ("", None), (None, None), ("PBS Pro 19", None)],
)
def test_parse_drm_version(system, version):
    assert drmaa.parse_drm_version(system) == version


def test_missing_path_is_named(tmp_path):
    missing = str(tmp_path / "libdrmaa.so.1")
    with pytest.raises(drmaa.DrmaaError, match="does not exist"):
        drmaa.query_library(missing)
    with pytest.raises(drmaa.DrmaaError, match="cannot read"):
        drmaa.elf_dynamic_info(missing)


def test_directory_is_refused(tmp_path):
    with pytest.raises(drmaa.DrmaaError, match="is a directory"):
        drmaa.load_library(str(tmp_path))


def test_text_file_is_not_elf(tmp_path):
    text = tmp_path / "libdrmaa.so.1"
    text.write_text("INPUT(libdrmaa.so.1.0.8)\n")
    with pytest.raises(drmaa.DrmaaError, match="not an ELF shared object"):
        drmaa.elf_dynamic_info(str(text))
    with pytest.raises(drmaa.DrmaaError, match="cannot load DRMAA library"):
        drmaa.query_library(str(text))


def test_truncated_elf_is_reported(stubs, tmp_path):
    with open(stubs["good"], "rb") as handle:
        head = handle.read(200)
    truncated = tmp_path / "truncated.so"
    truncated.write_bytes(head)
    with pytest.raises(drmaa.DrmaaError, match="truncated or malformed"):
        drmaa.elf_dynamic_info(str(truncated))


def test_missing_libslurm_names_the_soname(stubs):
    with pytest.raises(drmaa.DrmaaError, match=r"libslurm\.so\.37"):
        drmaa.query_library(stubs["orphan"])


def test_library_without_drmaa_symbols(stubs):
    with pytest.raises(drmaa.DrmaaError, match=r"not a DRMAA 1\.0 library: it has no drmaa_get_DRM_system"):
        drmaa.query_library(stubs["not_drmaa"])


def test_drmaa_error_code_and_diagnosis_are_reported(stubs):
    with pytest.raises(drmaa.DrmaaError, match=r"DRMAA error 2: slurm_load_ctl_conf: Zero Bytes"):
        drmaa.query_library(stubs["failing"])


def test_isolated_query_returns_the_same_answer(stubs):
    assert drmaa.query_library_isolated(stubs["good"]) == drmaa.query_library(stubs["good"])


def test_isolated_query_passes_errors_back(stubs):
    with pytest.raises(drmaa.DrmaaError, match="not a DRMAA 1.0 library"):
        drmaa.query_library_isolated(stubs["not_drmaa"])
    with pytest.raises(drmaa.DrmaaError, match=r"libslurm\.so\.37"):
        drmaa.query_library_isolated(stubs["orphan"])


def test_isolated_query_survives_a_library_that_exits(stubs):
    with pytest.raises(drmaa.DrmaaError, match=r"exit with status 1 .*fatal: Unable to process configuration file"):
        drmaa.query_library_isolated(stubs["exiting"])


def test_isolated_query_survives_a_crash(stubs):
    with pytest.raises(drmaa.DrmaaError, match="killed the process with signal 11"):
        drmaa.query_library_isolated(stubs["crashing"])


def test_isolated_query_times_out(stubs):
    with pytest.raises(drmaa.DrmaaError, match="did not answer within 1 seconds"):
        drmaa.query_library_isolated(stubs["hanging"], timeout=1)


# the module -----------------------------------------------------------------------------------


def _run(capsys, args):
    with patch_module_args(args), pytest.raises(SystemExit) as exc:
        drmaa_info.main()
    return exc.value.code, json.loads(capsys.readouterr().out)


def test_module_reports_library(stubs, capsys):
    rc, result = _run(capsys, {"path": stubs["good"]})
    assert rc == 0
    assert result["changed"] is False
    assert result["drm_system"] == "SLURM 22.05.8"
    assert result["drm_version"] == "22.05.8"
    assert result["drmaa_implementation"] == "DRMAA for Slurm 1.1.6"
    assert result["drmaa_version"] == "1.0"
    assert result["soname"] == "libdrmaa.so.1"
    assert result["libslurm"] == "libslurm.so.38"
    assert result["path"] == os.path.realpath(stubs["good"])


def test_module_resolves_symlinks(stubs, capsys, tmp_path):
    link = tmp_path / "libdrmaa.so"
    link.symlink_to(stubs["good"])
    rc, result = _run(capsys, {"path": str(link)})
    assert rc == 0
    assert result["path"] == os.path.realpath(stubs["good"])


def test_module_check_mode_is_read_only(stubs, capsys):
    rc, result = _run(capsys, {"path": stubs["good"], "_ansible_check_mode": True})
    assert rc == 0
    assert result["changed"] is False
    assert result["drm_system"] == "SLURM 22.05.8"


def test_module_fails_on_wrong_path(capsys, tmp_path):
    missing = str(tmp_path / "nowhere" / "libdrmaa.so.1")
    rc, result = _run(capsys, {"path": missing})
    assert rc == 1
    assert result["failed"] is True
    assert result["msg"] == "DRMAA library %s does not exist" % missing


def test_module_fails_on_library_that_cannot_load(stubs, capsys):
    rc, result = _run(capsys, {"path": stubs["orphan"]})
    assert rc == 1
    assert "cannot load DRMAA library" in result["msg"]
    assert "libslurm.so.37" in result["msg"]


def test_module_fails_on_non_drmaa_library(stubs, capsys):
    rc, result = _run(capsys, {"path": stubs["not_drmaa"]})
    assert rc == 1
    assert "not a DRMAA 1.0 library" in result["msg"]


def test_module_fails_when_library_exits(stubs, capsys):
    rc, result = _run(capsys, {"path": stubs["exiting"]})
    assert rc == 1
    assert "fatal: Unable to process configuration file" in result["msg"]


def test_module_times_out(stubs, capsys):
    rc, result = _run(capsys, {"path": stubs["hanging"], "timeout": 1})
    assert rc == 1
    assert "did not answer within 1 seconds" in result["msg"]


def test_module_requires_path(capsys):
    rc, result = _run(capsys, {})
    assert rc == 1
    assert "path" in result["msg"]
