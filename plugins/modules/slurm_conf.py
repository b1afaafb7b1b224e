#!/usr/bin/python
# Copyright: gxhpc.cluster contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Write slurm.conf (or cgroup.conf, slurmdbd.conf) and say what the change needs."""

DOCUMENTATION = r"""
---
module: slurm_conf
short_description: Write a Slurm configuration file and tell whether a reconfigure or a restart applies it
version_added: 0.1.0
description:
  - Renders C(Key=Value) settings, C(NodeName=) and C(PartitionName=) lines from data, writes the file
    atomically when it differs, and returns which settings changed, whether node definitions changed
    and whether the change needs the daemons restarted (a plain C(scontrol reconfigure) is enough
    otherwise).
  - With O(slurm_version) (or C(auto), read from the installed Slurm), settings written for an older
    Slurm are adapted, with a warning (for example C(select/cons_res), removed in Slurm 23.11, becomes
    C(select/cons_tres)).
options:
  dest:
    description: The file to write.
    type: path
    required: true
  config:
    description: Settings. C(true)/C(false) become C(YES)/C(NO); lists are comma-joined (a list of
      C(SlurmctldHost) becomes one line per host); null values are left out.
    type: dict
    default: {}
  nodes:
    description: NodeName entries; each a dict with C(name) and any node parameters.
    type: list
    elements: dict
    default: []
  partitions:
    description: PartitionName entries; each a dict with C(name) and any partition parameters.
    type: list
    elements: dict
    default: []
  header:
    description: Comment lines written first (for example C(ansible_managed | comment)).
    type: str
    default: ""
  slurm_version:
    description: Slurm version to adapt settings to; C(auto) asks the installed Slurm; empty adapts nothing.
    type: str
    default: ""
  owner:
    description: Owner of the file.
    type: str
  group:
    description: Group of the file.
    type: str
  mode:
    description: Mode of the file.
    type: raw
    default: "0644"
  backup:
    description: Keep a timestamped copy of the file it replaces.
    type: bool
    default: false
  directories:
    description:
      - Directories to create (or correct the owner and mode of) before the file is written, such as
        the configuration, state, spool and log directories. Doing it here saves a task per directory
        on every run.
    type: list
    elements: dict
    default: []
    suboptions:
      path:
        description: The directory.
        type: path
        required: true
      owner:
        description: Its owner.
        type: str
      group:
        description: Its group.
        type: str
      mode:
        description: Its mode.
        type: raw
extends_documentation_fragment:
  - gxhpc.cluster.attributes.file
author:
  - gxhpc.cluster contributors (@gxhpc)
"""

EXAMPLES = r"""
- name: Write slurm.conf
  gxhpc.cluster.slurm_conf:
    dest: /etc/slurm/slurm.conf
    header: "{{ ansible_managed | comment }}"
    slurm_version: auto
    config:
      ClusterName: cluster
      SlurmctldHost: head
      SelectType: select/cons_tres
      SelectTypeParameters: CR_Core_Memory
    nodes:
      - name: node01
        CPUs: 8
        RealMemory: 30000
    partitions:
      - name: main
        Nodes: ALL
        Default: true
  register: slurm_conf
  notify: "{{ 'Restart slurmctld' if slurm_conf.restart_required else 'Reconfigure slurm' }}"
"""

RETURN = r"""
changed_keys:
  description: Lower-cased names of the settings whose values changed.
  returned: always
  type: list
  elements: str
nodes_changed:
  description: Whether any NodeName line changed.
  returned: always
  type: bool
partitions_changed:
  description: Whether any PartitionName line changed.
  returned: always
  type: bool
restart_required:
  description: Whether the change needs slurmctld and slurmd restarted rather than reconfigured.
  returned: always
  type: bool
slurm_version:
  description: The Slurm version settings were adapted to, if any.
  returned: always
  type: str
directories_changed:
  description: Whether a directory of O(directories) was created or had its owner or mode corrected.
  returned: always
  type: bool
content_changed:
  description: Whether the file's content changed (or the file was created).
  returned: always
  type: bool
"""

import os
import re

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.gxhpc.cluster.plugins.module_utils.atomic_file import read_text, replace_text
from ansible_collections.gxhpc.cluster.plugins.module_utils.slurm_conf import (
    SlurmConfError,
    compare,
    normalize_config,
    render,
)


def installed_slurm_version(module):
    """Version of the installed Slurm from ``<daemon> -V`` ("slurm-wlm 22.05.8"), or ''."""
    for binary in ("slurmctld", "slurmd", "sinfo", "slurmdbd"):
        path = module.get_bin_path(binary)
        if path:
            rc, out, _err = module.run_command([path, "-V"])
            match = re.search(r"(\d+\.\d+\.\d+)", out or "")
            if rc == 0 and match:
                return match.group(1)
    return ""


def ensure_directories(module, directories):
    """Create missing directories and correct owner, group and mode; return whether anything changed."""
    changed = False
    for spec in directories:
        path = spec["path"]
        if not os.path.isdir(path):
            changed = True
            if module.check_mode:
                continue
            os.makedirs(path)
        file_args = module.load_file_common_arguments(
            {"path": path, "owner": spec.get("owner"), "group": spec.get("group"), "mode": spec.get("mode")}
        )
        changed = module.set_fs_attributes_if_different(file_args, changed)
    return changed


def run_module(module):
    params = module.params
    dest = params["dest"]
    result = {"changed": False, "changed_keys": [], "nodes_changed": False, "partitions_changed": False}
    result["directories_changed"] = ensure_directories(module, params["directories"])

    version = params["slurm_version"]
    if version == "auto":
        version = installed_slurm_version(module)
    result["slurm_version"] = version
    config = params["config"]
    if version:
        config, warnings = normalize_config(config, version)
        for warning in warnings:
            module.warn(warning)

    try:
        content = render(config, params["nodes"], params["partitions"], params["header"])
    except SlurmConfError as exc:
        module.fail_json(msg=str(exc), **result)

    exists, old = read_text(module, dest, result, what="a Slurm configuration file")
    result.update(compare(old, content))
    result["restart_required"] = bool(exists and result["restart_required"])
    replace_text(module, dest, exists, old, content, result, diff_always=False)
    result["changed"] = result["changed"] or result["directories_changed"]
    return result


def main():
    module = AnsibleModule(
        argument_spec={
            "dest": {"type": "path", "required": True},
            "config": {"type": "dict", "default": {}},
            "nodes": {"type": "list", "elements": "dict", "default": []},
            "partitions": {"type": "list", "elements": "dict", "default": []},
            "header": {"type": "str", "default": ""},
            "slurm_version": {"type": "str", "default": ""},
            "owner": {"type": "str"},
            "group": {"type": "str"},
            "mode": {"type": "raw", "default": "0644"},
            "backup": {"type": "bool", "default": False},
            "directories": {
                "type": "list",
                "elements": "dict",
                "default": [],
                "options": {
                    "path": {"type": "path", "required": True},
                    "owner": {"type": "str"},
                    "group": {"type": "str"},
                    "mode": {"type": "raw"},
                },
            },
        },
        supports_check_mode=True,
    )
    module.exit_json(**run_module(module))


if __name__ == "__main__":
    main()
