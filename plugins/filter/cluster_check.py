# Copyright: gxhpc.cluster contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The cluster_check role's plan, for its preflight."""

DOCUMENTATION = r"""
---
name: cluster_check_plan
short_description: The cluster_check role's plan
version_added: 0.1.0
description:
  - C(cluster_check_plan(settings, facts)) - from the cluster_check role's variables and what its preflight knows
    about the play (C(inventory_hostname); C(slurm_roles) and C(group_names), each mapping every host of the play
    to its own; C(slurm_controller_host)), a dict with C(problems) (every problem at once, each naming the
    variable), C(slurm_roles) (this host's), C(exec_hosts), C(reference) (the host the others are compared with)
    and C(roles) (this host's part in the check - galaxy, exec and its other Slurm roles).
author:
  - gxhpc.cluster contributors (@gxhpc)
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.gxhpc.cluster.plugins.module_utils import cluster_check_plan as plan


def cluster_check_plan(settings, facts=None):
    """The cluster_check role's plan; see module_utils/cluster_check_plan.py."""
    if not isinstance(settings, dict):
        raise AnsibleFilterError(
            f"cluster_check_plan expects a dict of the role's variables, got {type(settings).__name__}"
        )
    return plan.plan(settings, facts or {})


class FilterModule:
    def filters(self):
        return {"cluster_check_plan": cluster_check_plan}
