#!/usr/bin/python
# Copyright: gxhpc.cluster contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Check that MUNGE works on this host and shares its key with a reference host."""

DOCUMENTATION = r"""
---
module: munge_check
short_description: Check MUNGE locally and against a credential from another host
version_added: 0.1.0
description:
  - Runs C(munge -n | unmunge) to check that munged answers and decodes its own credentials.
  - When O(credential) is given (encoded with C(munge -n) on O(reference_host)), decodes it here.
    A credential that does not decode means the two hosts have different keys, and the module
    fails with C(MUNGE key on <host> differs from <reference_host>).
  - Reads only; never reports a change.
options:
  credential:
    description: A credential encoded on O(reference_host).
    type: str
  reference_host:
    description: Name of the host that encoded O(credential), for messages.
    type: str
    default: the reference host
  host:
    description: Name of this host, for messages.
    type: str
    default: this host
extends_documentation_fragment:
  - gxhpc.cluster.attributes.read_only
author:
  - gxhpc.cluster contributors (@gxhpc)
"""

EXAMPLES = r"""
- name: Encode a credential on the controller
  ansible.builtin.command: munge -n
  register: credential
  changed_when: false
  # A credential is replayable for minutes: keep it out of the output.
  no_log: true
  when: inventory_hostname == 'ctl1'

- name: Every host decodes it
  gxhpc.cluster.munge_check:
    credential: "{{ hostvars['ctl1'].credential.stdout }}"
    reference_host: ctl1
    host: "{{ inventory_hostname }}"
"""

RETURN = r"""
local_status:
  description: The STATUS line of C(unmunge) for a credential encoded here.
  returned: always
  type: str
  sample: Success (0)
remote_status:
  description: The STATUS line of C(unmunge) for O(credential).
  returned: when O(credential) is given
  type: str
"""

import re

from ansible.module_utils.basic import AnsibleModule

STATUS = re.compile(r"^STATUS:\s*(.+)$", re.MULTILINE)


def unmunge_status(output):
    """Return the STATUS value of unmunge's output, or None when there is none."""
    match = STATUS.search(output or "")
    return match.group(1).strip() if match else None


def run_module(module):
    params = module.params
    result = {"changed": False}
    munge = module.get_bin_path("munge", required=True)
    unmunge = module.get_bin_path("unmunge", required=True)

    rc, credential, err = module.run_command([munge, "-n"])
    if rc != 0:
        module.fail_json(msg=f"munge -n failed on {params['host']} (is munged running?): {err.strip()}", **result)
    rc, out, err = module.run_command([unmunge], data=credential)
    result["local_status"] = unmunge_status(out) or err.strip()
    if rc != 0:
        module.fail_json(msg=f"munge -n | unmunge failed on {params['host']}: {result['local_status']}", **result)

    if params["credential"]:
        rc, out, err = module.run_command([unmunge], data=params["credential"])
        result["remote_status"] = unmunge_status(out) or err.strip()
        if rc != 0:
            module.fail_json(
                msg=(
                    f"MUNGE key on {params['host']} differs from {params['reference_host']}: "
                    f"a credential encoded there does not decode here ({result['remote_status']})"
                ),
                **result,
            )
    return result


def main():
    module = AnsibleModule(
        argument_spec={
            "credential": {"type": "str", "no_log": True},
            "reference_host": {"type": "str", "default": "the reference host"},
            "host": {"type": "str", "default": "this host"},
        },
        supports_check_mode=True,
    )
    module.exit_json(**run_module(module))


if __name__ == "__main__":
    main()
