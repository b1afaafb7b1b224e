"""The slurm_drmaa role's plan: the install method, the platform's defaults, every problem at once."""

import pytest

from ansible_collections.gxhpc.cluster.plugins.module_utils.slurm_drmaa_plan import build_state, plan

SHA = "ab" * 32
DEFAULTS = {
    "slurm_drmaa_install_method": "auto",
    "slurm_drmaa_source_url": "https://github.com/natefoo/slurm-drmaa/releases/download/1.1.6/slurm-drmaa-1.1.6.tar.gz",
    "slurm_drmaa_source_checksum": "sha512:https://github.com/natefoo/slurm-drmaa/releases/download/1.1.6/x.sha512",
    "slurm_drmaa_source_tarball": "",
    "slurm_drmaa_source_tarball_sha256": "",
    "slurm_drmaa_prefix": "/usr/local",
    "slurm_drmaa_configure_options": [],
    "slurm_drmaa_cflags": "-g -O0",
    "slurm_drmaa_source_dir": "/usr/local/src/slurm-drmaa",
    "slurm_drmaa_slurm_include_dir": "",
    "slurm_drmaa_slurm_library_dir": "",
    "slurm_drmaa_package_name": "",
    "slurm_drmaa_package_repository": "",
    "slurm_drmaa_package_library_path": "",
}
DEBIAN = {
    "auto_method": "source",
    "slurm_include_dir": "/usr/include",
    "slurm_library_dir": "/usr/lib/x86_64-linux-gnu",
    "package_name": "",
    "package_repository": "",
    "package_library_path": "",
}
UBUNTU = {
    "auto_method": "package",
    "slurm_include_dir": "/usr/include",
    "slurm_library_dir": "/usr/lib/x86_64-linux-gnu",
    "package_name": "slurm-drmaa1",
    "package_repository": "ppa:natefoo/slurm-drmaa",
    "package_library_path": "/usr/lib/slurm-drmaa/lib/libdrmaa.so.1",
}


def run(platform=None, distribution="Debian 12", **settings):
    facts = {"platform": platform or DEBIAN, "distribution": distribution}
    facts.update({k: settings.pop(k) for k in list(settings) if k.startswith("controller_")})
    return plan({**DEFAULTS, **settings}, facts)


def test_debian_defaults_build_from_the_url():
    result = run()
    assert result["problems"] == []
    assert result["method"] == "source"
    assert result["include_dir"] == "/usr/include"
    assert result["library_dir"] == "/usr/lib/x86_64-linux-gnu"
    assert result["tarball"] == "/usr/local/src/slurm-drmaa/slurm-drmaa-1.1.6.tar.gz"
    assert result["build_tree"] == "/usr/local/src/slurm-drmaa/build"
    assert result["library_path"] == "/usr/local/lib/libdrmaa.so.1"
    assert result["checksum_is_url"] is True
    assert result["fetch"] == "download"
    assert result["build"] == {"prefix": "/usr/local", "configure_options": [], "cflags": "-g -O0"}
    assert result["configure_argv"] == [
        "./configure",
        "--prefix=/usr/local",
        "--with-slurm-inc=/usr/include",
        "--with-slurm-lib=/usr/lib/x86_64-linux-gnu",
        "CFLAGS=-g -O0",
    ]


def test_configure_without_cflags_keeps_configures_own_and_adds_the_options():
    result = run(slurm_drmaa_cflags="", slurm_drmaa_configure_options=["--enable-debug"], slurm_drmaa_prefix="/opt/d")
    assert result["configure_argv"] == [
        "./configure",
        "--prefix=/opt/d",
        "--with-slurm-inc=/usr/include",
        "--with-slurm-lib=/usr/lib/x86_64-linux-gnu",
        "--enable-debug",
    ]


def test_ubuntu_auto_is_the_package():
    result = run(UBUNTU, "Ubuntu 24.04")
    assert result["problems"] == []
    assert result["method"] == "package"
    assert result["package"] == "slurm-drmaa1"
    assert result["repository"] == "ppa:natefoo/slurm-drmaa"
    assert result["library_path"] == "/usr/lib/slurm-drmaa/lib/libdrmaa.so.1"


def test_variables_win_over_the_platform():
    result = run(
        UBUNTU,
        slurm_drmaa_install_method="source",
        slurm_drmaa_slurm_include_dir="/opt/slurm/include",
        slurm_drmaa_slurm_library_dir="/opt/slurm/lib",
        slurm_drmaa_prefix="/opt/drmaa",
        slurm_drmaa_source_checksum="sha256:" + SHA,
    )
    assert result["method"] == "source"
    assert (result["include_dir"], result["library_dir"]) == ("/opt/slurm/include", "/opt/slurm/lib")
    assert result["library_path"] == "/opt/drmaa/lib/libdrmaa.so.1"
    assert result["checksum_is_url"] is False


def test_a_package_where_none_is_known():
    result = run(slurm_drmaa_install_method="package")
    assert result["problems"] == [
        "slurm_drmaa_install_method: 'package' means a package here, but no slurm-drmaa package is known for "
        "Debian 12 (slurm_drmaa_package_name: '', slurm_drmaa_package_library_path: ''). Set both, or use "
        "slurm_drmaa_install_method: source."
    ]


def test_a_package_with_a_relative_library_path():
    result = run(
        slurm_drmaa_install_method="package",
        slurm_drmaa_package_name="x",
        slurm_drmaa_package_library_path="lib/libdrmaa.so.1",
    )
    assert len(result["problems"]) == 1


def test_package_method_ignores_the_source_settings():
    result = run(UBUNTU, slurm_drmaa_prefix="relative", slurm_drmaa_source_tarball="/nonexistent.tar.gz")
    assert result["problems"] == []


def test_every_source_problem_at_once():
    result = run(
        slurm_drmaa_prefix="usr/local",
        slurm_drmaa_source_dir="src",
        slurm_drmaa_slurm_include_dir="include",
        slurm_drmaa_slurm_library_dir="lib",
        slurm_drmaa_source_url="github.com/x.tar.gz",
        slurm_drmaa_source_checksum="sha256",
    )
    assert result["problems"] == [
        "slurm_drmaa_prefix: 'usr/local' must be an absolute path.",
        "slurm_drmaa_source_dir: 'src' must be an absolute path.",
        "slurm_drmaa_slurm_include_dir: 'include' must be an absolute path.",
        "slurm_drmaa_slurm_library_dir: 'lib' must be an absolute path.",
        "slurm_drmaa_source_url: 'github.com/x.tar.gz' is not an http(s), ftp or file URL, and no "
        "slurm_drmaa_source_tarball is set.",
        "slurm_drmaa_source_checksum: 'sha256' is not <algorithm>:<digest or URL> with algorithm one of md5, sha1, "
        "sha224, sha256, sha384, sha512 (or empty for no check).",
    ]


@pytest.mark.parametrize("checksum", ["", "md5:abc", "sha512:https://example.org/x.sha512"])
def test_accepted_checksums(checksum):
    assert run(slurm_drmaa_source_checksum=checksum)["problems"] == []


def test_a_tarball_replaces_the_url():
    result = run(
        slurm_drmaa_source_tarball="/srv/slurm-drmaa-1.1.5.tar.gz",
        slurm_drmaa_source_url="",
        controller_tarball_is_file=True,
    )
    assert result["problems"] == []
    assert result["tarball"] == "/usr/local/src/slurm-drmaa/slurm-drmaa-1.1.5.tar.gz"
    assert result["fetch"] == "controller"


def test_a_missing_tarball_and_a_bad_digest_at_once():
    result = run(
        slurm_drmaa_source_tarball="/nonexistent/slurm-drmaa-1.1.6.tar.gz",
        slurm_drmaa_source_tarball_sha256="xyz",
        controller_tarball_is_file="False",
    )
    assert result["problems"] == [
        "slurm_drmaa_source_tarball: '/nonexistent/slurm-drmaa-1.1.6.tar.gz' is not a file on the Ansible "
        "controller; give the path of a slurm-drmaa release tarball there (slurm-drmaa-X.Y.Z.tar.gz), or leave it "
        "empty to download slurm_drmaa_source_url.",
        "slurm_drmaa_source_tarball_sha256: 'xyz' is not a sha256 digest (64 hexadecimal digits); leave it empty "
        "for no check.",
    ]


def test_the_digest_is_compared_case_blind():
    result = run(
        slurm_drmaa_source_tarball="/srv/t.tar.gz",
        slurm_drmaa_source_tarball_sha256=SHA.upper(),
        controller_tarball_is_file=True,
        controller_tarball_sha256=SHA,
    )
    assert result["problems"] == []


def test_a_tarball_with_another_digest():
    result = run(
        slurm_drmaa_source_tarball="/srv/t.tar.gz",
        slurm_drmaa_source_tarball_sha256="0" * 64,
        controller_tarball_is_file=True,
        controller_tarball_sha256=SHA,
    )
    assert result["problems"] == [
        f"slurm_drmaa_source_tarball_sha256: '{'0' * 64}' does not match /srv/t.tar.gz, whose sha256 is {SHA}. "
        "Replace the tarball or correct the digest."
    ]


# build_state: whether to download and to (re)build, from what slurm_drmaa_build_state read on the host.

RECORD = {
    "source_sha256": SHA,
    "libslurm": "libslurm.so.38",
    "prefix": "/usr/local",
    "configure_options": [],
    "cflags": "-g -O0",
    "tarball": "slurm-drmaa-1.1.6.tar.gz",
    "library": "/usr/local/lib/libdrmaa.so.1",
    "version": "1.1.6",
}


def state(plan_settings=None, **host):
    host = {"recorded": RECORD, "libslurm": "libslurm.so.38", "library_exists": True, "tarball_sha256": SHA, **host}
    return build_state(run(**(plan_settings or {})), host)


def test_a_plain_rerun_builds_and_downloads_nothing():
    result = state()
    assert (result["rebuild"], result["reasons"], result["download"]) == (False, [], False)


def test_the_record_a_build_writes():
    assert state(recorded={})["record"] == {key: value for key, value in RECORD.items() if key != "version"}


def test_a_fresh_host_builds_and_downloads():
    result = state(recorded={}, library_exists=False, tarball_sha256="", libslurm="")
    assert result["rebuild"] is True
    assert result["download"] is True
    assert result["reasons"] == ["no build is recorded", "/usr/local/lib/libdrmaa.so.1 is missing"]


def test_a_new_libslurm_soname_rebuilds_without_downloading():
    result = state(libslurm="libslurm.so.42")
    assert result["rebuild"] is True
    assert result["download"] is False
    assert result["reasons"] == ["libslurm's soname changed: 'libslurm.so.38' recorded, 'libslurm.so.42' now"]
    assert result["record"]["libslurm"] == "libslurm.so.42"


def test_another_tarball_rebuilds():
    result = state(tarball_sha256="cd" * 32)
    assert result["rebuild"] is True
    assert result["reasons"] == [f"the tarball (sha256) changed: '{SHA}' recorded, '{'cd' * 32}' now"]


@pytest.mark.parametrize(
    ("settings", "reason"),
    [
        ({"slurm_drmaa_cflags": "-O2"}, "CFLAGS changed: '-g -O0' recorded, '-O2' now"),
        (
            {"slurm_drmaa_configure_options": ["--enable-debug"]},
            "the configure options changed: [] recorded, ['--enable-debug'] now",
        ),
        ({"slurm_drmaa_prefix": "/opt/drmaa"}, "the prefix changed: '/usr/local' recorded, '/opt/drmaa' now"),
    ],
)
def test_build_settings_rebuild(settings, reason):
    result = state(settings)
    assert result["rebuild"] is True
    assert reason in result["reasons"]


def test_a_record_from_before_cflags_rebuilds_once_with_the_default():
    old = {key: value for key, value in RECORD.items() if key != "cflags"}
    assert state(recorded=old)["reasons"] == ["CFLAGS changed: '' recorded, '-g -O0' now"]
    assert state({"slurm_drmaa_cflags": ""}, recorded=old)["rebuild"] is False


def test_a_missing_library_rebuilds():
    result = state(library_exists="False")
    assert result["rebuild"] is True
    assert result["reasons"] == ["/usr/local/lib/libdrmaa.so.1 is missing"]


def test_a_kept_tarball_not_in_the_record_is_downloaded_again():
    assert state(tarball_sha256="cd" * 32)["download"] is True
    assert state(recorded={})["download"] is True


def test_a_pinned_digest_is_always_handed_to_get_url():
    """get_url checks a pinned digest locally, without network, when the file is there."""
    assert state({"slurm_drmaa_source_checksum": "sha256:" + SHA})["download"] is True


def test_a_controller_tarball_is_never_downloaded():
    settings = {"slurm_drmaa_source_tarball": "/srv/slurm-drmaa-1.1.6.tar.gz", "controller_tarball_is_file": True}
    result = state(settings, recorded={}, tarball_sha256="")
    assert (result["download"], result["rebuild"]) == (False, True)
