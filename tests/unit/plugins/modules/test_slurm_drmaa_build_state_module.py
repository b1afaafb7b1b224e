"""The slurm_drmaa_build_state module reads a host's slurm-drmaa build state and says whether to build.

A stub libslurm.so (its soname libslurm.so.38) is compiled with gcc, so the soname is read from a real ELF file
as on a host; the decision itself is tested in tests/unit/plugins/module_utils/test_slurm_drmaa_plan.py.
"""

import hashlib
import json
import shutil
import subprocess

import pytest
from module_harness import raise_on_exit, run_main

from ansible_collections.gxhpc.cluster.plugins.module_utils.slurm_drmaa_plan import plan
from ansible_collections.gxhpc.cluster.plugins.modules import slurm_drmaa_build_state

GCC = shutil.which("gcc")
TARBALL = b"slurm-drmaa-1.1.6 release tarball stand-in"


@pytest.fixture(autouse=True)
def _no_exit(monkeypatch):
    raise_on_exit(monkeypatch)


@pytest.fixture
def host(tmp_path):
    """A host's paths: Slurm's library dir (empty), the prefix, the source dir and the record."""
    for name in ("slurm-lib", "prefix/lib", "src"):
        (tmp_path / name).mkdir(parents=True)
    the_plan = plan(
        {
            "slurm_drmaa_install_method": "source",
            "slurm_drmaa_source_url": "https://example.org/slurm-drmaa-1.1.6.tar.gz",
            "slurm_drmaa_source_checksum": "sha512:https://example.org/slurm-drmaa-1.1.6.tar.gz.sha512",
            "slurm_drmaa_prefix": str(tmp_path / "prefix"),
            "slurm_drmaa_source_dir": str(tmp_path / "src"),
            "slurm_drmaa_slurm_include_dir": "/usr/include",
            "slurm_drmaa_slurm_library_dir": str(tmp_path / "slurm-lib"),
            "slurm_drmaa_configure_options": [],
            "slurm_drmaa_cflags": "-g -O0",
        },
        {"platform": {"auto_method": "source"}},
    )
    assert the_plan["problems"] == []
    return {"plan": the_plan, "record": tmp_path / "slurm_drmaa.fact", "root": tmp_path}


def add_libslurm(host):
    if GCC is None:
        pytest.skip("gcc is needed to compile the stub libslurm")
    source = host["root"] / "slurm.c"
    source.write_text("int slurm_stub_version(void) { return 38; }\n")
    library = host["root"] / "slurm-lib" / "libslurm.so"
    subprocess.run(
        [GCC, "-shared", "-fPIC", "-o", str(library), str(source), "-Wl,-soname,libslurm.so.38"],
        check=True,
        capture_output=True,
    )


def installed(host):
    """A host where slurm-drmaa was built from the kept tarball: the library, the tarball and the record."""
    add_libslurm(host)
    (host["root"] / "prefix" / "lib" / "libdrmaa.so.1").write_bytes(b"")
    (host["root"] / "src" / "slurm-drmaa-1.1.6.tar.gz").write_bytes(TARBALL)
    record = dict(
        host["plan"]["build"],
        source_sha256=hashlib.sha256(TARBALL).hexdigest(),
        libslurm="libslurm.so.38",
        tarball="slurm-drmaa-1.1.6.tar.gz",
        library=host["plan"]["library_path"],
        version="1.1.6",
    )
    host["record"].write_text(json.dumps(record))
    return record


def run(host, check_mode=False):
    args = {"plan": host["plan"], "record_path": str(host["record"])}
    return run_main(slurm_drmaa_build_state.main, args, check_mode)


def test_a_fresh_host_downloads_and_builds(host):
    add_libslurm(host)
    result = run(host)
    assert not result.failed, result.result
    assert result.result["changed"] is False
    assert (result.result["rebuild"], result.result["download"]) == (True, True)
    assert result.result["libslurm"] == "libslurm.so.38"
    assert result.result["recorded"] == {}
    assert result.result["record"]["source_sha256"] == ""


def test_an_installed_build_is_left_alone(host):
    record = installed(host)
    result = run(host)
    assert not result.failed, result.result
    assert (result.result["rebuild"], result.result["download"], result.result["reasons"]) == (False, False, [])
    assert result.result["recorded"] == record
    assert result.result["record"] == {key: value for key, value in record.items() if key != "version"}


def test_a_deleted_library_is_rebuilt(host):
    installed(host)
    (host["root"] / "prefix" / "lib" / "libdrmaa.so.1").unlink()
    result = run(host)
    assert result.result["rebuild"] is True
    assert result.result["download"] is False


def test_a_record_that_is_not_json_rebuilds(host):
    installed(host)
    host["record"].write_text("{not json")
    result = run(host)
    assert not result.failed, result.result
    assert result.result["recorded"] == {}
    assert result.result["rebuild"] is True
    # Nothing says the kept tarball is the installed build's source any more: downloaded and verified again.
    assert result.result["download"] is True


def test_a_missing_libslurm_fails_naming_the_variable(host):
    result = run(host)
    assert result.failed
    assert result.result["msg"].startswith(
        f"slurm_drmaa_slurm_library_dir: '{host['root'] / 'slurm-lib'}': {host['root'] / 'slurm-lib' / 'libslurm.so'} "
        "does not exist; point it at the directory holding Slurm's libslurm.so"
    )


def test_a_libslurm_that_is_not_elf_fails(host):
    (host["root"] / "slurm-lib" / "libslurm.so").write_text("INPUT(-lslurm)\n")
    result = run(host)
    assert result.failed
    assert "is not an ELF shared object" in result.result["msg"]


def test_check_mode_on_a_fresh_host_without_libslurm_reports_a_build(host):
    result = run(host, check_mode=True)
    assert not result.failed, result.result
    assert (result.result["rebuild"], result.result["libslurm"]) == (True, "")
