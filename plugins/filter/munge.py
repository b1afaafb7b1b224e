# Copyright: gxhpc.cluster contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The munge role's plan, for its preflight."""

DOCUMENTATION = r"""
---
name: munge
short_description: The munge role's plan
version_added: 0.1.0
description:
  - C(munge_plan(settings, play_hosts)) - from the munge role's variables (C(munge_key), C(munge_key_format),
    C(munge_key_file), C(munge_key_host)) and the play's hosts, a dict with C(problems) (every problem at
    once, each naming the variable; never the key), C(key_origin) (variable, file or host) and
    C(key_format) (how C(munge_key) is read, base64 or hex).
author:
  - gxhpc.cluster contributors (@gxhpc)
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.gxhpc.cluster.plugins.module_utils import munge_plan as plan


def munge_plan(settings, play_hosts=()):
    """The munge role's plan; see module_utils/munge_plan.py."""
    if not isinstance(settings, dict):
        raise AnsibleFilterError(f"munge_plan expects a dict of the role's variables, got {type(settings).__name__}")
    return plan.plan(settings, play_hosts)


class FilterModule:
    def filters(self):
        return {"munge_plan": munge_plan}
