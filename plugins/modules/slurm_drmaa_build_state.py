#!/usr/bin/python
# Copyright: gxhpc.cluster contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read the installed slurm-drmaa build on a host and decide whether to (re)build it."""

DOCUMENTATION = r"""
---
module: slurm_drmaa_build_state
short_description: Decide whether slurm-drmaa is to be built from source on this host
version_added: 0.1.0
description:
  - Reads, in one go, what decides a slurm-drmaa source build on the managed host, namely the build record
    O(record_path), the SONAME of the C(libslurm.so) in the plan's C(library_dir) (from its ELF dynamic
    section, no binutils needed), whether the plan's C(library_path) is there, and the sha256 of the
    tarball kept at the plan's C(tarball).
  - Returns whether to download the tarball and whether to (re)build, as decided by C(build_state) in
    C(plugins/module_utils/slurm_drmaa_plan.py). A build is made when the tarball, libslurm's soname, the
    prefix, the configure options or the CFLAGS differ from the record, or the library is missing.
  - Fails when C(libslurm.so) is missing or has no SONAME, except in check mode, where a fresh host may not
    have Slurm's development package yet (a build is then reported).
  - Reads only; never reports a change. The gxhpc.cluster.slurm_drmaa role runs it before it fetches the
    tarball (for RV(download)) and after (for RV(rebuild)).
options:
  plan:
    description:
      - The slurm_drmaa role's plan (the C(gxhpc.cluster.slurm_drmaa_plan) filter's result). Read are
        C(tarball), C(fetch), C(checksum_is_url), C(library_dir), C(library_path) and C(build).
    type: dict
    required: true
  record_path:
    description: The build record, a JSON file that a build writes (RV(record) plus the version).
    type: path
    required: true
  verify:
    description:
      - Also ask the installed library (the plan's C(library_path)), when it is there, which DRM it drives, as
        C(gxhpc.cluster.drmaa_info) does (RV(drmaa), or RV(drmaa_error)), so that the role's verify phase needs no
        task of its own unless this run built or relinked the library.
    type: bool
    default: false
  verify_timeout:
    description: Seconds the library may take to answer (libslurm may block while slurmctld does not answer).
    type: int
    default: 60
extends_documentation_fragment:
  - gxhpc.cluster.attributes.read_only
author:
  - gxhpc.cluster contributors (@gxhpc)
"""

EXAMPLES = r"""
- name: Decide whether to build slurm-drmaa
  gxhpc.cluster.slurm_drmaa_build_state:
    plan: "{{ 'settings' | gxhpc.cluster.slurm_drmaa_plan(facts) }}"
    record_path: /etc/ansible/facts.d/slurm_drmaa.fact
  register: build

- name: Say why
  ansible.builtin.debug:
    msg: "{{ build.reasons | join('; ') }}"
  when: build.rebuild
"""

RETURN = r"""
rebuild:
  description: Whether slurm-drmaa is to be built and installed.
  returned: success
  type: bool
reasons:
  description: Why it is to be built, one line each; empty when it is not.
  returned: success
  type: list
  elements: str
  sample: ["libslurm's soname changed: 'libslurm.so.38' recorded, 'libslurm.so.42' now"]
download:
  description:
    - Whether the tarball is to be downloaded. False when it comes from the Ansible controller, and when the
      tarball kept on the host is the recorded build's source and the checksum is a URL (a re-run needs no
      network).
  returned: success
  type: bool
record:
  description: What a build records (the role adds the C(version) it read from the tarball).
  returned: success
  type: dict
  sample:
    source_sha256: 9e99...
    libslurm: libslurm.so.38
    prefix: /usr/local
    configure_options: []
    cflags: -g -O0
    tarball: slurm-drmaa-1.1.6.tar.gz
    library: /usr/local/lib/libdrmaa.so.1
recorded:
  description: The record of the installed build; empty when there is none or it is not a JSON object.
  returned: success
  type: dict
libslurm:
  description: The soname of the libslurm.so to build against; empty in check mode when there is none yet.
  returned: success
  type: str
  sample: libslurm.so.38
drmaa:
  description:
    - With O(verify), what the installed library says (C(drm_system), C(drm_version), C(drmaa_implementation),
      C(drmaa_version), and C(libslurm), the libslurm it links), as C(gxhpc.cluster.drmaa_info) returns it.
  returned: with O(verify), when the library is there and answered
  type: dict
drmaa_error:
  description: With O(verify), why the installed library could not be asked (missing, not loadable, no answer).
  returned: with O(verify), when the library could not be asked
  type: str
"""

import json
import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.gxhpc.cluster.plugins.module_utils.drmaa import (
    DrmaaError,
    elf_dynamic_info,
    libslurm_of,
    query_library_isolated,
)
from ansible_collections.gxhpc.cluster.plugins.module_utils.slurm_drmaa_plan import build_state


def read_record(path):
    """The build record as a dict; {} when there is none or it is not a JSON object (then it is rebuilt)."""
    try:
        with open(path, encoding="utf-8") as handle:
            record = json.load(handle)
    except (OSError, ValueError):
        return {}
    return record if isinstance(record, dict) else {}


def read_libslurm(library_dir):
    """The soname of library_dir/libslurm.so, or a DrmaaError saying why there is none."""
    path = os.path.join(library_dir, "libslurm.so")
    if not os.path.exists(path):
        raise DrmaaError(f"{path} does not exist")
    soname = elf_dynamic_info(path)["soname"]
    if not soname:
        raise DrmaaError(f"{path} has no SONAME")
    return soname


def ask_library(path, timeout):
    """What the DRMAA library at ``path`` says (as drmaa_info returns it), or a DrmaaError."""
    if not os.path.exists(path):
        raise DrmaaError(f"DRMAA library {path} does not exist")
    elf = elf_dynamic_info(path)
    info = query_library_isolated(path, timeout=timeout)
    return dict(info, path=os.path.realpath(path), libslurm=libslurm_of(elf["needed"]))


def run_module():
    module = AnsibleModule(
        argument_spec=dict(
            plan=dict(type="dict", required=True),
            record_path=dict(type="path", required=True),
            verify=dict(type="bool", default=False),
            verify_timeout=dict(type="int", default=60),
        ),
        supports_check_mode=True,
    )
    plan = module.params["plan"]
    try:
        libslurm = read_libslurm(plan["library_dir"])
    except DrmaaError as exc:
        if not module.check_mode:
            module.fail_json(
                msg=f"slurm_drmaa_slurm_library_dir: '{plan['library_dir']}': {exc}; point it at the directory "
                "holding Slurm's libslurm.so (Debian: libslurm-dev)."
            )
        libslurm = ""
    tarball = plan["tarball"]
    host = {
        "recorded": read_record(module.params["record_path"]),
        "libslurm": libslurm,
        "library_exists": os.path.exists(plan["library_path"]),
        "tarball_sha256": module.sha256(tarball) if os.path.isfile(tarball) else "",
    }
    result = dict(changed=False, recorded=host["recorded"], libslurm=libslurm, **build_state(plan, host))
    if module.params["verify"]:
        try:
            result["drmaa"] = ask_library(plan["library_path"], module.params["verify_timeout"])
        except DrmaaError as exc:
            result["drmaa_error"] = str(exc)
    module.exit_json(**result)


def main():
    run_module()


if __name__ == "__main__":
    main()
