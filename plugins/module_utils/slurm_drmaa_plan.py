# Copyright: gxhpc.cluster contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The slurm_drmaa role's plan: how slurm-drmaa is installed on a host, from what, and what is wrong.

Read by the role's preflight (through the ``slurm_drmaa_plan`` filter); the later phases read the plan and
never re-derive it. argument_specs check types and choices (slurm_drmaa_install_method, a list of configure
options); the rules here are those across variables, the platform and the controller's tarball.

``settings`` holds the role's variables (``slurm_drmaa_*``); ``facts`` what preflight read::

    platform                    the platform data from vars/ (auto_method, slurm_include_dir,
                                slurm_library_dir, package_name, package_repository, package_library_path)
    distribution                e.g. 'Ubuntu 24.04', for the message when no package is known
    controller_tarball_is_file  slurm_drmaa_source_tarball is a file on the Ansible controller
    controller_tarball_sha256   its sha256 (read only when slurm_drmaa_source_tarball_sha256 is set)

Whether a source build is (re)built is decided by ``build_state``, from what the
``slurm_drmaa_build_state`` module reads on the host (the build record, libslurm's soname, the library and
the tarball kept there).
"""

import os
import re
from urllib.parse import urlsplit

from ansible_collections.gxhpc.cluster.plugins.module_utils.plan_values import flag

_URL = re.compile(r"^(https?|ftp|file)://")
_CHECKSUM = re.compile(r"^(md5|sha1|sha224|sha256|sha384|sha512):\S+$")
# get_url's <algorithm>:<URL of a checksum file>, which it fetches on every run.
_CHECKSUM_URL = re.compile(r"^[a-z0-9]+:[a-z]+://")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


def _package_problems(settings, plan, distribution):
    if plan["package"] and os.path.isabs(plan["package_library"]):
        return []
    return [
        f"slurm_drmaa_install_method: '{settings.get('slurm_drmaa_install_method', 'auto')}' means a package here, "
        f"but no slurm-drmaa package is known for {distribution} (slurm_drmaa_package_name: '{plan['package']}', "
        f"slurm_drmaa_package_library_path: '{plan['package_library']}'). Set both, or use "
        "slurm_drmaa_install_method: source."
    ]


def _source_problems(settings, plan, facts):
    problems = []
    for name, value in (
        ("slurm_drmaa_prefix", settings.get("slurm_drmaa_prefix", "")),
        ("slurm_drmaa_source_dir", settings.get("slurm_drmaa_source_dir", "")),
        ("slurm_drmaa_slurm_include_dir", plan["include_dir"]),
        ("slurm_drmaa_slurm_library_dir", plan["library_dir"]),
    ):
        if not os.path.isabs(value):
            problems.append(f"{name}: '{value}' must be an absolute path.")
    tarball = settings.get("slurm_drmaa_source_tarball") or ""
    url = settings.get("slurm_drmaa_source_url") or ""
    if not tarball and not _URL.match(url):
        problems.append(
            f"slurm_drmaa_source_url: '{url}' is not an http(s), ftp or file URL, and no slurm_drmaa_source_tarball "
            "is set."
        )
    checksum = settings.get("slurm_drmaa_source_checksum") or ""
    if checksum and not _CHECKSUM.match(checksum):
        problems.append(
            f"slurm_drmaa_source_checksum: '{checksum}' is not <algorithm>:<digest or URL> with algorithm one of "
            "md5, sha1, sha224, sha256, sha384, sha512 (or empty for no check)."
        )
    if tarball:
        problems.extend(_tarball_problems(settings, tarball, facts))
    return problems


def _tarball_problems(settings, tarball, facts):
    """The air-gapped tarball on the controller: a file, and the sha256 it was pinned to."""
    problems = []
    is_file = flag(facts.get("controller_tarball_is_file"))
    if not is_file:
        problems.append(
            f"slurm_drmaa_source_tarball: '{tarball}' is not a file on the Ansible controller; give the path of a "
            "slurm-drmaa release tarball there (slurm-drmaa-X.Y.Z.tar.gz), or leave it empty to download "
            "slurm_drmaa_source_url."
        )
    wanted = settings.get("slurm_drmaa_source_tarball_sha256") or ""
    if not wanted:
        return problems
    if not _SHA256.match(wanted.lower()):
        problems.append(
            f"slurm_drmaa_source_tarball_sha256: '{wanted}' is not a sha256 digest (64 hexadecimal digits); leave it "
            "empty for no check."
        )
    elif is_file:
        actual = facts.get("controller_tarball_sha256") or ""
        if actual != wanted.lower():
            problems.append(
                f"slurm_drmaa_source_tarball_sha256: '{wanted}' does not match {tarball}, whose sha256 is {actual}. "
                "Replace the tarball or correct the digest."
            )
    return problems


def plan(settings, facts=None):
    """Return the slurm_drmaa role's plan: ``problems`` (every one at once) and the values the phases read.

    ``method`` (package or source), ``include_dir``, ``library_dir``, ``package``, ``repository``,
    ``package_library`` (each the variable, or the platform's when it is empty), ``tarball`` (its path on the
    host), ``fetch`` (how the tarball gets there: ``controller`` or ``download``), ``build_tree``,
    ``checksum_is_url``, ``build`` (prefix, configure options and CFLAGS: what a build is configured with, and
    recorded), ``configure_argv`` and ``library_path`` (the libdrmaa.so.1 Galaxy loads).
    """
    facts = facts or {}
    platform = facts.get("platform") or {}
    requested = settings.get("slurm_drmaa_install_method") or "auto"
    method = (platform.get("auto_method") or "source") if requested == "auto" else requested
    prefix = settings.get("slurm_drmaa_prefix") or ""
    source_dir = settings.get("slurm_drmaa_source_dir") or ""
    tarball = settings.get("slurm_drmaa_source_tarball") or ""
    url = settings.get("slurm_drmaa_source_url") or ""
    tarball_name = os.path.basename(tarball) if tarball else os.path.basename(urlsplit(url).path)
    result = {
        "method": method,
        "include_dir": settings.get("slurm_drmaa_slurm_include_dir") or platform.get("slurm_include_dir") or "",
        "library_dir": settings.get("slurm_drmaa_slurm_library_dir") or platform.get("slurm_library_dir") or "",
        "package": settings.get("slurm_drmaa_package_name") or platform.get("package_name") or "",
        "repository": settings.get("slurm_drmaa_package_repository") or platform.get("package_repository") or "",
        "package_library": (
            settings.get("slurm_drmaa_package_library_path") or platform.get("package_library_path") or ""
        ),
        "tarball": f"{source_dir}/{tarball_name}",
        "fetch": "controller" if tarball else "download",
        "build_tree": f"{source_dir}/build",
        "checksum_is_url": bool(_CHECKSUM_URL.match(settings.get("slurm_drmaa_source_checksum") or "")),
        "build": {
            "prefix": prefix,
            "configure_options": list(settings.get("slurm_drmaa_configure_options") or []),
            "cflags": settings.get("slurm_drmaa_cflags") or "",
        },
    }
    result["configure_argv"] = _configure_argv(result)
    if method == "package":
        result["library_path"] = result["package_library"]
        problems = _package_problems(settings, result, facts.get("distribution") or "this platform")
    else:
        result["library_path"] = f"{prefix}/lib/libdrmaa.so.1"
        problems = _source_problems(settings, result, facts)
    result["problems"] = problems
    return result


def _configure_argv(result):
    # Explicit Slurm paths: without them configure guesses from srun on PATH and fails with "Slurm
    # libraries/headers not found" on a host that has only the build packages. No CFLAGS: configure's own.
    build = result["build"]
    argv = [
        "./configure",
        f"--prefix={build['prefix']}",
        f"--with-slurm-inc={result['include_dir']}",
        f"--with-slurm-lib={result['library_dir']}",
    ]
    if build["cflags"]:
        argv.append(f"CFLAGS={build['cflags']}")
    return argv + build["configure_options"]


# What a build is made from and against, in the order the reasons for a rebuild are given.
_BUILD_KEY = (
    ("source_sha256", "the tarball (sha256)"),
    ("libslurm", "libslurm's soname"),
    ("prefix", "the prefix"),
    ("configure_options", "the configure options"),
    ("cflags", "CFLAGS"),
)


def build_state(plan_result, host):
    """Decide from the host's state whether a source build of slurm-drmaa is (re)built, and what it records.

    ``plan_result`` is ``plan()``'s result; ``host`` what the ``slurm_drmaa_build_state`` module read::

        recorded        the build record (a dict; empty when there is none)
        libslurm        the soname of the libslurm.so to build against ('' when there is none yet)
        library_exists  the installed libdrmaa.so.1 is there
        tarball_sha256  the sha256 of the tarball kept on the host ('' when there is none)

    Returns ``rebuild`` (when the tarball, libslurm's soname, the prefix, the configure options or CFLAGS
    differ from the record, or the library is missing), ``reasons`` (why, one line each), ``download``
    (whether the tarball is to be downloaded: not from the controller, and not when the kept tarball is the
    recorded build's source and the checksum is a URL, so a re-run needs no network; a pinned digest is
    checked by get_url locally) and ``record`` (what a build writes into the record, the version aside).
    """
    recorded = host.get("recorded") or {}
    tarball_sha256 = host.get("tarball_sha256") or ""
    wanted = {"source_sha256": tarball_sha256, "libslurm": host.get("libslurm") or "", **plan_result["build"]}
    reasons = []
    if not recorded:
        reasons.append("no build is recorded")
    else:
        for key, what in _BUILD_KEY:
            # A record written before slurm_drmaa_cflags existed: built with configure's own CFLAGS.
            was = recorded.get(key, [] if key == "configure_options" else "")
            if was != wanted[key]:
                reasons.append(f"{what} changed: {was!r} recorded, {wanted[key]!r} now")
    if not flag(host.get("library_exists")):
        reasons.append(f"{plan_result['library_path']} is missing")
    kept_is_recorded = bool(tarball_sha256) and tarball_sha256 == recorded.get("source_sha256", "")
    return {
        "rebuild": bool(reasons),
        "reasons": reasons,
        "download": plan_result["fetch"] == "download" and not (plan_result["checksum_is_url"] and kept_is_recorded),
        "record": {
            **wanted,
            "tarball": os.path.basename(plan_result["tarball"]),
            "library": plan_result["library_path"],
        },
    }
