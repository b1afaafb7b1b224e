# Copyright: gxhpc.cluster contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The slurm_drmaa role's plan, for its preflight."""

DOCUMENTATION = r"""
---
name: slurm_drmaa
short_description: The slurm_drmaa role's plan
version_added: 0.1.0
description:
  - C(slurm_drmaa_plan(settings, facts)) - from the slurm_drmaa role's variables and what its preflight read
    (C(platform), the platform data from the role's vars; C(distribution); C(controller_tarball_is_file) and
    C(controller_tarball_sha256) for C(slurm_drmaa_source_tarball)), a dict with C(problems) (every problem at
    once, each naming the variable), C(method) (package or source), C(include_dir), C(library_dir), C(package),
    C(repository), C(package_library), C(tarball), C(fetch) (controller or download), C(build_tree),
    C(checksum_is_url), C(build) (prefix, configure options, CFLAGS), C(configure_argv) and C(library_path).
  - Whether to build is decided on the host by the C(gxhpc.cluster.slurm_drmaa_build_state) module, from this plan.
author:
  - gxhpc.cluster contributors (@gxhpc)
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.gxhpc.cluster.plugins.module_utils import slurm_drmaa_plan as plan


def slurm_drmaa_plan(settings, facts=None):
    """The slurm_drmaa role's plan; see module_utils/slurm_drmaa_plan.py."""
    if not isinstance(settings, dict):
        raise AnsibleFilterError(
            f"slurm_drmaa_plan expects a dict of the role's variables, got {type(settings).__name__}"
        )
    return plan.plan(settings, facts or {})


class FilterModule:
    def filters(self):
        return {"slurm_drmaa_plan": slurm_drmaa_plan}
