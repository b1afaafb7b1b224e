#!/usr/bin/python
# Copyright: gxhpc.cluster contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Gather what a cluster readiness check compares between hosts."""

DOCUMENTATION = r"""
---
module: cluster_facts
short_description: Gather the facts a Galaxy/Slurm readiness check compares between hosts
version_added: 0.1.0
description:
  - Reports, for this host, what must agree between a Galaxy server and the nodes its jobs run on
    (Galaxy's cluster documentation lists these pitfalls).
  - For each of O(paths), whether it exists and the filesystem holding it (type, source, mount options,
    and whether NFS caches attributes there).
  - For each of O(users), uid, gid and login shell, from the name service (files, LDAP, SSSD alike).
  - The major.minor version of O(python).
  - The sha256 of the MUNGE key and of slurm.conf, so that hosts can be compared. The key itself is never
    read back or returned. Where O(slurm_conf) is missing, the slurm.conf a configless slurmd or sackd fetched
    (O(slurm_conf_cached)) is hashed, as Slurm's own commands there would read it.
  - This host's clock (seconds since the epoch) when the module ran.
  - Reads only; never reports a change.
options:
  paths:
    description: Absolute paths to report on.
    type: list
    elements: path
    default: []
  users:
    description: Users to report on.
    type: list
    elements: str
    default: []
  python:
    description: The Python command whose major.minor is reported (a name on PATH or an absolute path).
    type: str
    default: python3
  munge_key:
    description: Path of the MUNGE key.
    type: path
    default: /etc/munge/munge.key
  slurm_conf:
    description: Path of slurm.conf.
    type: path
    default: /etc/slurm/slurm.conf
  slurm_conf_cached:
    description: Where configless Slurm (slurmd or sackd with C(--conf-server)) keeps the slurm.conf it fetched.
    type: path
    default: /run/slurm/conf/slurm.conf
  node_name:
    description: This host's Slurm node name, returned as C(node_name). Empty means the short hostname.
    type: str
    default: ""
extends_documentation_fragment:
  - gxhpc.cluster.attributes.read_only
seealso:
  - module: gxhpc.cluster.cluster_job_probe
  - module: gxhpc.cluster.cluster_check_report
author:
  - gxhpc.cluster contributors (@gxhpc)
"""

EXAMPLES = r"""
- name: Gather what the readiness check compares
  gxhpc.cluster.cluster_facts:
    paths: [/srv/galaxy/server, /srv/galaxy/var/jobs_directory]
    users: [galaxy]
    python: /srv/galaxy/venv/bin/python
  register: cluster_facts
"""

RETURN = r"""
hostname:
  description: The short hostname.
  returned: always
  type: str
node_name:
  description: O(node_name), or the short hostname.
  returned: always
  type: str
paths:
  description:
    - Per path, C(exists), C(is_dir), C(realpath), C(device), C(uid), C(gid), C(mode), C(fstype), C(mount_point),
      C(source), C(mount_options) and C(attribute_caching) (true for NFS without noac or actimeo=0).
    - For a path that does not exist, C(exists=false) and C(error).
  returned: always
  type: dict
  sample: {"/srv/galaxy": {"exists": true, "fstype": "nfs4", "mount_options": ["rw", "noac"],
           "attribute_caching": false}}
users:
  description: Per user, exists, uid, gid, group, home, shell and shell_executable.
  returned: always
  type: dict
python:
  description: command, version (major.minor or null) and error.
  returned: always
  type: dict
hashes:
  description: sha256 of munge_key and slurm_conf (null when missing or unreadable).
  returned: always
  type: dict
slurm_conf_source:
  description: C(file) (O(slurm_conf)), C(configless) (O(slurm_conf_cached)) or null (neither readable).
  returned: always
  type: str
clock:
  description: This host's time (seconds since the epoch, UTC) when the module ran.
  returned: always
  type: float
"""

import socket
import time

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.gxhpc.cluster.plugins.module_utils.cluster_gather import (
    parse_mountinfo,
    path_facts,
    python_version_of,
    sha256_of,
    user_facts,
)

# %-formatting, not an f-string: this runs under whatever python the node has, to report how old it is.
PYTHON_VERSION = "import sys; print('%d.%d' % sys.version_info[:2])"


def read_mountinfo():
    try:
        with open("/proc/self/mountinfo", encoding="utf-8", errors="replace") as handle:
            return parse_mountinfo(handle.read())
    except OSError:
        return []


def python_facts(module, command):
    executable = command if command.startswith("/") else module.get_bin_path(command)
    if not executable:
        return {"command": command, "version": None, "error": f"{command} not found on PATH"}
    rc, out, err = module.run_command([executable, "-c", PYTHON_VERSION])
    if rc != 0:
        return {"command": command, "version": None, "error": (err or out).strip()[-200:]}
    return {"command": command, "version": python_version_of(out), "error": None}


def run_module(module):
    params = module.params
    hostname = socket.gethostname().split(".")[0]
    mounts = read_mountinfo()
    # Slurm's own order for user commands: the local file first, then the configless cache.
    slurm_conf, source = sha256_of(params["slurm_conf"]), "file"
    if slurm_conf is None:
        slurm_conf, source = sha256_of(params["slurm_conf_cached"]), "configless"
    result = {
        "changed": False,
        "hostname": hostname,
        "node_name": params["node_name"] or hostname,
        "paths": {p: path_facts(p, mounts) for p in params["paths"]},
        "users": {u: user_facts(u) for u in params["users"]},
        "python": python_facts(module, params["python"]),
        "hashes": {
            "munge_key": sha256_of(params["munge_key"]),
            "slurm_conf": slurm_conf,
        },
        "slurm_conf_source": source if slurm_conf is not None else None,
    }
    # Last, so that the clock is read as close as possible to the end of the task others compare it with.
    result["clock"] = time.time()
    module.exit_json(**result)


def main():
    module = AnsibleModule(
        argument_spec={
            "paths": {"type": "list", "elements": "path", "default": []},
            "users": {"type": "list", "elements": "str", "default": []},
            "python": {"type": "str", "default": "python3"},
            "munge_key": {"type": "path", "default": "/etc/munge/munge.key"},
            "slurm_conf": {"type": "path", "default": "/etc/slurm/slurm.conf"},
            "slurm_conf_cached": {"type": "path", "default": "/run/slurm/conf/slurm.conf"},
            "node_name": {"type": "str", "default": ""},
        },
        supports_check_mode=True,
    )
    run_module(module)


if __name__ == "__main__":
    main()
