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
    host), ``build_tree``, ``checksum_is_url`` and ``library_path`` (the libdrmaa.so.1 Galaxy loads).
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
        "build_tree": f"{source_dir}/build",
        "checksum_is_url": bool(_CHECKSUM_URL.match(settings.get("slurm_drmaa_source_checksum") or "")),
    }
    if method == "package":
        result["library_path"] = result["package_library"]
        problems = _package_problems(settings, result, facts.get("distribution") or "this platform")
    else:
        result["library_path"] = f"{prefix}/lib/libdrmaa.so.1"
        problems = _source_problems(settings, result, facts)
    result["problems"] = problems
    return result
