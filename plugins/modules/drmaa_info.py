#!/usr/bin/python
# Copyright: gxhpc.cluster contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: drmaa_info
short_description: Report what a DRMAA library (libdrmaa) says about itself and its DRM
version_added: "0.1.0"
description:
  - Loads a DRMAA 1.0 C library, for example slurm-drmaa's C(libdrmaa.so.1), with Python's ctypes
    and calls the functions the DRMAA 1.0 C binding allows before C(drmaa_init), namely
    C(drmaa_get_DRM_system), C(drmaa_get_DRMAA_implementation) and C(drmaa_version).
    No DRMAA session is opened and no job is submitted.
  - Also reads the library's ELF dynamic section and returns its SONAME and the libraries it
    needs, in particular the C(libslurm.so.N) it was linked against.
  - Fails with the loader's message when the file is missing, is not a shared library, cannot be
    loaded (typically because C(libslurm.so.N) cannot be found after a Slurm upgrade
    without a slurm-drmaa rebuild), or lacks the DRMAA functions.
  - slurm-drmaa asks slurmctld for its version; when the controller does not answer,
    O(path) still loads but RV(drm_system) is just C(SLURM) and RV(drm_version) is null.
  - The library is loaded in a forked child process, so a library that exits (libslurm does when
    it finds no C(slurm.conf)), crashes or hangs produces a failure that says so, with what it
    printed on stderr.
options:
  path:
    description:
      - Path of the DRMAA shared library on the managed host, as Galaxy's
        C(DRMAA_LIBRARY_PATH) would name it.
    type: path
    required: true
  timeout:
    description:
      - Seconds to wait for the library's answer. slurm-drmaa asks slurmctld for its version, which
        blocks while the controller does not answer.
    type: int
    default: 60
extends_documentation_fragment:
  - gxhpc.cluster.attributes.read_only
notes:
  - Read-only, it never reports a change.
author:
  - gxhpc.cluster contributors (@gxhpc)
"""

EXAMPLES = r"""
- name: Ask libdrmaa which Slurm it talks to
  gxhpc.cluster.drmaa_info:
    path: /usr/local/lib/libdrmaa.so.1
  register: drmaa

- name: Fail when slurm-drmaa does not reach Slurm 24.11
  ansible.builtin.assert:
    that:
      - drmaa.drm_system is match('SLURM 24\.11')
    fail_msg: "libdrmaa reports {{ drmaa.drm_system }}"
"""

RETURN = r"""
path:
  description: The library's real path (symbolic links resolved).
  returned: success
  type: str
  sample: /usr/local/lib/libdrmaa.so.1.0.8
drm_system:
  description: What C(drmaa_get_DRM_system) returns.
  returned: success
  type: str
  sample: SLURM 22.05.8
drm_version:
  description: The version part of RV(drm_system), or null when the DRM reported none.
  returned: success
  type: str
  sample: 22.05.8
drmaa_implementation:
  description: What C(drmaa_get_DRMAA_implementation) returns.
  returned: success
  type: str
  sample: DRMAA for Slurm 1.1.6
drmaa_version:
  description: The DRMAA specification version from C(drmaa_version), as C(major.minor).
  returned: success
  type: str
  sample: "1.0"
soname:
  description: The library's ELF SONAME.
  returned: success
  type: str
  sample: libdrmaa.so.1
needed:
  description: The library's ELF DT_NEEDED entries.
  returned: success
  type: list
  elements: str
  sample: [libslurm.so.38, libc.so.6]
libslurm:
  description: The libslurm among RV(needed), the Slurm ABI the library was built for; null if none.
  returned: success
  type: str
  sample: libslurm.so.38
"""

# Imports follow the documentation strings, as Ansible module files are laid out.
import os  # noqa: E402

from ansible.module_utils.basic import AnsibleModule  # noqa: E402

from ansible_collections.gxhpc.cluster.plugins.module_utils.drmaa import (  # noqa: E402
    DrmaaError,
    elf_dynamic_info,
    libslurm_of,
    query_library_isolated,
)


def run_module():
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type="path", required=True),
            timeout=dict(type="int", default=60),
        ),
        supports_check_mode=True,
    )
    path = module.params["path"]
    result = dict(changed=False, path=path)
    try:
        # ELF first: a missing or non-ELF file gets a plain message before dlopen is tried.
        if not os.path.exists(path):
            raise DrmaaError(f"DRMAA library {path} does not exist")
        elf = elf_dynamic_info(path)
        info = query_library_isolated(path, timeout=module.params["timeout"])
    except DrmaaError as exc:
        module.fail_json(msg=str(exc), **result)
    result.update(info)
    result.update(
        path=os.path.realpath(path),
        soname=elf["soname"],
        needed=elf["needed"],
        libslurm=libslurm_of(elf["needed"]),
    )
    module.exit_json(**result)


def main():
    run_module()


if __name__ == "__main__":
    main()
