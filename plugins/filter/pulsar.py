# Copyright: gxhpc.cluster contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The pulsar role's plan, for its preflight and configure tasks."""

DOCUMENTATION = r"""
---
name: pulsar
short_description: The pulsar role's plan
version_added: 0.1.0
description:
  - C(pulsar_plan(settings)) - from the pulsar role's variables (every C(pulsar_*) name), a dict with
    C(problems) (every problem at once, each naming the variable; never the token or a broker password) and,
    when there are none, C(app_config) (Pulsar's app.yml), C(server_ini) (pulsar-serve's server.ini),
    C(pip_packages) (what the virtualenv gets) and C(exec_start) (the command systemd runs).
author:
  - gxhpc.cluster contributors (@gxhpc)
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.gxhpc.cluster.plugins.module_utils import pulsar_plan as plan


def pulsar_plan(settings):
    """The pulsar role's plan; see module_utils/pulsar_plan.py."""
    if not isinstance(settings, dict):
        raise AnsibleFilterError(f"pulsar_plan expects a dict of the role's variables, got {type(settings).__name__}")
    return plan.plan(settings)


class FilterModule:
    def filters(self):
        return {"pulsar_plan": pulsar_plan}
