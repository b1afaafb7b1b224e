#!/usr/bin/python
# Copyright: gxhpc.cluster contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read, in one call, whether a host's users, packages, services and files are as a role wants them."""

DOCUMENTATION = r"""
---
module: host_state
short_description: Read in one go whether a host is already as a role's tasks would make it
version_added: 0.1.0
description:
  - Reads the state a role's idempotent tasks would each read for themselves (groups and users, installed
    packages, services, files and directories), plus files and read-only commands the role needs, in one
    call, so that a re-run which changes nothing pays for one task per role instead of one per check.
  - Says for each item whether the role's task for it (C(ansible.builtin.group), C(ansible.builtin.user),
    C(ansible.builtin.apt) with C(state=present), C(ansible.builtin.systemd_service) with C(state=started)
    and C(enabled=true), C(ansible.builtin.file) with C(state=directory)) would change nothing; for a file
    written with C(ansible.builtin.copy), the C(gxhpc.cluster.host_file_ok) filter compares RV(contents) and
    RV(stats) with what the task would write. The role skips those tasks only; any other answer, or one this
    module cannot tell (then false), runs the task, which checks and changes as before, with its diff.
  - The reading and the comparisons live in C(plugins/module_utils/host_state.py).
  - Reads only; never reports a change. The O(commands) must only read, too.
options:
  groups:
    description: Groups, each with C(name) and optionally C(gid).
    type: list
    elements: dict
    default: []
  users:
    description: Users, each with C(name) and optionally C(uid), C(group), C(home), C(shell), C(comment).
    type: list
    elements: dict
    default: []
  packages:
    description: Package names (dpkg's database is read; on hosts without dpkg nothing is known to be installed).
    type: list
    elements: str
    default: []
  services:
    description: systemd units that are to be running and enabled.
    type: list
    elements: str
    default: []
  directories:
    description: Directories, each with C(path) and optionally C(owner), C(group), C(mode).
    type: list
    elements: dict
    default: []
  read:
    description:
      - Files whose text is returned in RV(contents) (for example C(/proc/meminfo)) and whose type, owner,
        group and mode are returned in RV(stats); a missing one is left out of both.
    type: list
    elements: path
    default: []
  paths:
    description: Paths whose type, owner, group and mode are returned in RV(stats) (a missing one is left out).
    type: list
    elements: path
    default: []
  commands:
    description:
      - Read-only commands to run, by name, each an argv list; their RV(commands) results are returned. A command
        whose program is not installed gets rc 127.
    type: dict
    default: {}
extends_documentation_fragment:
  - gxhpc.cluster.attributes.read_only
author:
  - gxhpc.cluster contributors (@gxhpc)
"""

EXAMPLES = r"""
- name: Read what a re-run must check, once
  gxhpc.cluster.host_state:
    groups: [{name: slurm, gid: 64030}]
    users: [{name: slurm, uid: 64030, group: slurm, home: /nonexistent, shell: /usr/sbin/nologin}]
    packages: [slurmd, slurm-client]
    services: [slurmd]
    read: [/proc/meminfo, /etc/default/slurmd]
    commands:
      slurmd_c: [slurmd, -C]
  register: state

- name: Start slurmd and enable it at boot
  ansible.builtin.systemd_service:
    name: slurmd
    state: started
    enabled: true
  when: not state.services_ok.slurmd

- name: Point slurmd at its configuration
  ansible.builtin.copy:
    dest: /etc/default/slurmd
    content: "SLURMD_OPTIONS=\"\"\n"
    owner: root
    group: root
    mode: "0644"
  when: not (state | gxhpc.cluster.host_file_ok('/etc/default/slurmd', "SLURMD_OPTIONS=\"\"\n", 'root', 'root', '0644'))
"""

RETURN = r"""
groups_ok:
  description: For each group name, whether C(ansible.builtin.group) would change nothing.
  returned: always
  type: dict
users_ok:
  description: For each user name, whether C(ansible.builtin.user) would change nothing.
  returned: always
  type: dict
packages_missing:
  description: The O(packages) not known to be installed.
  returned: always
  type: list
packages_ok:
  description: Whether all of O(packages) are installed.
  returned: always
  type: bool
services:
  description: For each unit, its C(load), C(active) and C(enabled) states as systemd reports them.
  returned: always
  type: dict
services_ok:
  description: For each unit, whether it is loaded, running and enabled.
  returned: always
  type: dict
directories_ok:
  description: For each directory path, whether it is a directory with the owner, group and mode given.
  returned: always
  type: dict
contents:
  description: The text of each file of O(read) that exists.
  returned: always
  type: dict
stats:
  description: For each path of O(read) and O(paths) that exists, its C(kind) (file, directory or other), C(owner),
    C(group) (names) and C(mode) (an octal string such as C(0644)).
  returned: always
  type: dict
commands:
  description: For each of O(commands), its C(rc), C(stdout) and C(stderr).
  returned: always
  type: dict
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.gxhpc.cluster.plugins.module_utils import host_state


def main():
    module = AnsibleModule(argument_spec=host_state.ARGUMENT_SPEC, supports_check_mode=True)
    module.exit_json(changed=False, **host_state.read_host(module, module.params))


if __name__ == "__main__":
    main()
