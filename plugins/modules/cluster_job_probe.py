#!/usr/bin/python
# Copyright: gxhpc.cluster contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""From the Galaxy server, prove through Slurm jobs that each node sees the same files."""

DOCUMENTATION = r"""
---
module: cluster_job_probe
short_description: Prove through Slurm jobs that nodes see the Galaxy server's files, and that it can submit
version_added: 0.1.0
description:
  - Runs on the Galaxy server. Writes a probe file with a fresh random nonce into each of O(paths)
    (as O(user), falling back to root for directories that user may not write), then runs one Slurm
    job as O(user) pinned to each of O(nodes) (C(srun --nodelist)) that reads the probe files back,
    so the check sees what Galaxy's jobs see. A node that reads the nonce shares the filesystem.
  - The job also reports the node's hostname, the uid and gid it ran as, and the major.minor of O(python).
  - Runs C(sbatch --test-only) as each of O(submit_users) to show that this host can submit.
  - Removes its probe files before it returns. It leaves nothing behind, so it runs in check mode too
    and never reports a change.
options:
  paths:
    description: Absolute paths of directories that must be shared with the nodes.
    type: list
    elements: path
    required: true
  nodes:
    description: Slurm node names to run a job on.
    type: list
    elements: str
    required: true
  user:
    description: The user jobs run as (Galaxy's user); writes the probe files and submits the jobs.
    type: str
    required: true
  submit_users:
    description: Users that must be able to submit from this host. Empty means O(user).
    type: list
    elements: str
    default: []
  python:
    description: The Python command whose major.minor the jobs report.
    type: str
    default: python3
  job_options:
    description: Extra options for C(srun) and C(sbatch), for example C(--partition=debug) or C(--account=admin).
    type: list
    elements: str
    default: []
  wait:
    description: Seconds a job may wait for resources before it counts as failed (C(srun --immediate)).
    type: int
    default: 60
extends_documentation_fragment:
  - gxhpc.cluster.attributes.read_only
attributes:
  check_mode:
    details: The probe files are temporary and removed before the module returns.
seealso:
  - module: gxhpc.cluster.cluster_facts
  - module: gxhpc.cluster.cluster_check_report
author:
  - gxhpc.cluster contributors (@gxhpc)
"""

EXAMPLES = r"""
- name: Read the Galaxy server's probe back on both nodes
  gxhpc.cluster.cluster_job_probe:
    paths: [/srv/galaxy/var/jobs_directory, /srv/galaxy/var/objects]
    nodes: [node1, node2]
    user: galaxy
    job_options: [--partition=main]
  register: probe
"""

RETURN = r"""
nonce:
  description: The random text written into each probe file.
  returned: always
  type: str
probe_name:
  description: The probe file's name in each path.
  returned: always
  type: str
write_errors:
  description: Paths whose probe file could not be written, with the reason.
  returned: always
  type: dict
nodes:
  description: Per node, the job's rc, stdout, stderr, and what it reported (host, uid, gid, python, and
    per path a state C(read), C(absent) or C(nodir) with the value read).
  returned: always
  type: dict
submit:
  description: Per user, rc and output of C(sbatch --test-only).
  returned: always
  type: dict
"""

import os
import secrets

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.gxhpc.cluster.plugins.module_utils.cluster_gather import (
    PROBE_PREFIX,
    parse_probe_output,
    probe_script,
    remove_probe,
    run_command_as,
    user_facts,
    write_probe,
)


def run_module(module):
    params = module.params
    user = user_facts(params["user"])
    if not user["exists"]:
        module.fail_json(msg=f"user: {params['user']!r} does not exist on this host; give the user Galaxy runs as")
    nonce = secrets.token_hex(16)
    probe_name = PROBE_PREFIX + nonce[:12]
    job_options = params["job_options"]
    result = {"changed": False, "nonce": nonce, "probe_name": probe_name, "write_errors": {}, "nodes": {}, "submit": {}}

    written = []
    try:
        for path in params["paths"]:
            error = write_probe(path, probe_name, nonce, user["uid"], user["gid"])
            if error:
                result["write_errors"][path] = error
            else:
                written.append(path)
        script = probe_script(params["paths"], probe_name, params["python"])
        for node in params["nodes"]:
            argv = [
                "srun",
                "--nodelist=" + node,
                "--nodes=1",
                "--ntasks=1",
                f"--immediate={params['wait']}",
                "--time=2",
                "--job-name=gxhpc-cluster-check",
                "--chdir=/tmp",
                "--quiet",
                *job_options,
                "/bin/sh",
                "-c",
                script,
            ]
            job = run_command_as(argv, user, timeout=params["wait"] + 120)
            job.update(parse_probe_output(job["stdout"]) if job["rc"] == 0 else {"paths": {}})
            result["nodes"][node] = job
    finally:
        for path in written:
            remove_probe(os.path.join(path, probe_name), user["uid"], user["gid"])

    for name in params["submit_users"] or [params["user"]]:
        submitter = user_facts(name)
        if not submitter["exists"]:
            result["submit"][name] = {"rc": 1, "output": f"user {name} does not exist on this host"}
            continue
        argv = ["sbatch", "--test-only", "--nodes=1", "--ntasks=1", "--time=1", *job_options, "--wrap", "true"]
        done = run_command_as(argv, submitter, timeout=60)
        result["submit"][name] = {"rc": done["rc"], "output": (done["stderr"] + done["stdout"]).strip()}
    module.exit_json(**result)


def main():
    module = AnsibleModule(
        argument_spec={
            "paths": {"type": "list", "elements": "path", "required": True},
            "nodes": {"type": "list", "elements": "str", "required": True},
            "user": {"type": "str", "required": True},
            "submit_users": {"type": "list", "elements": "str", "default": []},
            "python": {"type": "str", "default": "python3"},
            "job_options": {"type": "list", "elements": "str", "default": []},
            "wait": {"type": "int", "default": 60},
        },
        supports_check_mode=True,
    )
    run_module(module)


if __name__ == "__main__":
    main()
