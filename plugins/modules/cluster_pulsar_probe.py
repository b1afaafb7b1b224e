#!/usr/bin/python
# Copyright: gxhpc.cluster contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""From either side of a Pulsar destination, test what crosses the network: Pulsar's URL, the broker, Galaxy's URL."""

DOCUMENTATION = r"""
---
module: cluster_pulsar_probe
short_description: Test from this host that Pulsar, its AMQP broker or Galaxy answer and take the credentials
version_added: 0.1.0
description:
  - A Pulsar destination needs no shared filesystem, but the network between Galaxy and Pulsar instead.
    This module tests it from one side, for the Pulsar destinations of the Galaxy servers' job confs
    (as the cluster_check role's plan lists them); a host that is both tests both sides.
  - For O(galaxy_side) (on a Galaxy server) it asks each REST destination's Pulsar for C(/healthz) with the
    destination's C(private_token) (Pulsar answers 401 to a wrong one), and logs in to each MQ runner's broker
    (AMQP 0-9-1, C(amqp_url)'s user, password and virtual host).
  - For O(pulsar_side) (on a Pulsar host) it logs in to each MQ broker and asks each C(galaxy_url), the Galaxy
    that Pulsar fetches inputs from and sends outputs to, for C(/api/version).
  - It sends no job and declares nothing on the broker, so it runs in check mode too and never reports a change.
    Tokens and AMQP URLs are no_log; the results name URLs without their passwords.
options:
  galaxy_side:
    description:
      - The Pulsar destinations of this host's job conf (it is a Galaxy server), as module_utils/job_conf_summary.py's
        C(pulsar_destinations) lists them. Each REST destination's Pulsar and each MQ runner's broker are tested.
    type: list
    elements: dict
    default: []
    suboptions: &destination
      environment:
        description: The job conf environment's id.
        type: str
      runner:
        description: The Pulsar runner's id.
        type: str
      transport:
        description: C(rest) or C(mq).
        type: str
        choices: [rest, mq]
        required: true
      url:
        description: A REST destination's Pulsar URL.
        type: str
        default: ""
      private_token:
        description: A REST destination's private_token.
        type: str
        default: ""
      amqp_url:
        description: An MQ runner's broker URL, with its credentials.
        type: str
        default: ""
      galaxy_url:
        description: The URL at which Pulsar reaches Galaxy.
        type: str
        default: ""
  pulsar_side:
    description:
      - The Pulsar destinations of the Galaxy servers this Pulsar host serves. Each MQ broker and each
        C(galaxy_url) is tested.
    type: list
    elements: dict
    default: []
    suboptions: *destination
  timeout:
    description: Seconds each connection may take.
    type: int
    default: 10
extends_documentation_fragment:
  - gxhpc.cluster.attributes.read_only
attributes:
  check_mode:
    details: It only connects and logs in, so it runs in check mode exactly as without it.
seealso:
  - module: gxhpc.cluster.cluster_check_report
author:
  - gxhpc.cluster contributors (@gxhpc)
"""

EXAMPLES = r"""
- name: Test Pulsar's URL and token, and the broker, from the Galaxy server
  gxhpc.cluster.cluster_pulsar_probe:
    galaxy_side:
      - {transport: rest, url: "https://pulsar.example.org:8913/", private_token: "{{ vault_pulsar_token }}"}
      - {transport: mq, amqp_url: "{{ vault_amqp_url }}", galaxy_url: "https://galaxy.example.org"}
  register: pulsar_probe
"""

RETURN = r"""
probes:
  description: Per target (C(pulsar <url>), C(broker <url without password>), C(galaxy <url>)) its C(kind), C(url)
    (without password), C(state) (C(ok), C(unreachable), C(refused), C(vhost) or C(error)) and C(detail).
  returned: always
  type: dict
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.gxhpc.cluster.plugins.module_utils.cluster_gather import run_pulsar_probes

DESTINATIONS = {
    "type": "list",
    "elements": "dict",
    "default": [],
    "options": {
        "environment": {"type": "str"},
        "runner": {"type": "str"},
        "transport": {"type": "str", "choices": ["rest", "mq"], "required": True},
        "url": {"type": "str", "default": ""},
        "private_token": {"type": "str", "default": "", "no_log": True},
        "amqp_url": {"type": "str", "default": "", "no_log": True},
        "galaxy_url": {"type": "str", "default": ""},
    },
}


def run_module(module):
    params = module.params
    results = run_pulsar_probes("galaxy", params["galaxy_side"], params["timeout"])
    results.update(run_pulsar_probes("pulsar", params["pulsar_side"], params["timeout"]))
    module.exit_json(changed=False, probes=results)


def main():
    module = AnsibleModule(
        argument_spec={
            "galaxy_side": DESTINATIONS,
            "pulsar_side": DESTINATIONS,
            "timeout": {"type": "int", "default": 10},
        },
        supports_check_mode=True,
    )
    run_module(module)


if __name__ == "__main__":
    main()
