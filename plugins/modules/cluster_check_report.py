#!/usr/bin/python
# Copyright: gxhpc.cluster contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Turn every host's readiness facts into a table per host and named failures with fixes."""

DOCUMENTATION = r"""
---
module: cluster_check_report
short_description: Evaluate a Galaxy/Slurm cluster's readiness from every host's facts
version_added: 0.1.0
description:
  - Compares what M(gxhpc.cluster.cluster_facts) gathered on every host and what
    M(gxhpc.cluster.cluster_job_probe) saw through Slurm jobs, and returns one summary table per host
    and every failed pitfall as a named failure with its fix (see docs/troubleshooting.md).
  - Pure evaluation, touching nothing on the host it runs on. It does not fail itself, so that the
    tables can be shown before the play fails on RV(failures).
options:
  hosts:
    description:
      - Per inventory name, C(roles) (any of C(galaxy), C(pulsar_galaxy) (a Galaxy server that sends jobs only to
        Pulsar), C(exec), C(pulsar), C(controller), C(submit)) and C(facts) (the result of
        M(gxhpc.cluster.cluster_facts) there).
    type: dict
    required: true
  probes:
    description: Per Galaxy host, the result of M(gxhpc.cluster.cluster_job_probe) there.
    type: dict
    default: {}
  pulsar_probes:
    description: Per Galaxy server and Pulsar host, the result of M(gxhpc.cluster.cluster_pulsar_probe) (the
      network between Galaxy and Pulsar, which replaces a shared filesystem for Pulsar destinations).
    type: dict
    default: {}
  paths:
    description: The shared paths checked, each with C(name) and C(path).
    type: list
    elements: dict
    required: true
  galaxy_user:
    description: The user Galaxy runs as.
    type: str
    required: true
  users:
    description: Further users whose jobs run on the nodes (real-user mode).
    type: list
    elements: str
    default: []
  reference_host:
    description: Host whose MUNGE key and slurm.conf the others must match. Empty means the first Galaxy host.
    type: str
    default: ""
  clock_tolerance:
    description: Seconds clocks may differ (MUNGE rejects credentials beyond their time-to-live, 300 s by default).
    type: float
    default: 300
  clock_window:
    description: Seconds between the first and last host reading its clock; not counted as skew.
    type: float
    default: 0
  nfs_attribute_caching:
    description: What NFS attribute caching on a shared path is.
    type: str
    choices: [warn, fail, ignore]
    default: warn
extends_documentation_fragment:
  - gxhpc.cluster.attributes.read_only
author:
  - gxhpc.cluster contributors (@gxhpc)
"""

EXAMPLES = r"""
- name: Evaluate the cluster
  gxhpc.cluster.cluster_check_report:
    hosts:
      galaxy1: {roles: [galaxy], facts: "{{ hostvars['galaxy1'].facts }}"}
      node1: {roles: [exec], facts: "{{ hostvars['node1'].facts }}"}
    probes:
      galaxy1: "{{ hostvars['galaxy1'].probe }}"
    paths: [{name: job_working_directory, path: /srv/galaxy/var/jobs_directory}]
    galaxy_user: galaxy
  register: report
"""

RETURN = r"""
tables:
  description: Per host, its summary table as lines (CHECK, RESULT, DETAIL).
  returned: always
  type: dict
failures:
  description: Named failures, each with name, host, summary, detail and fix.
  returned: always
  type: list
  elements: dict
warnings_found:
  description: Named warnings (same fields as RV(failures)), e.g. nfs_attribute_caching in warn mode.
  returned: always
  type: list
  elements: dict
failure_lines:
  description: "RV(failures) as lines: C(NAME on HOST: detail. Fix: ...)."
  returned: always
  type: list
  elements: str
warning_lines:
  description: RV(warnings_found) as lines.
  returned: always
  type: list
  elements: str
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.gxhpc.cluster.plugins.module_utils.cluster_check import (
    ClusterCheckError,
    evaluate,
    failure_lines,
    render_table,
)


def run_module(module):
    params = module.params
    settings = {
        "paths": params["paths"],
        "users": params["users"],
        "galaxy_user": params["galaxy_user"],
        "reference_host": params["reference_host"],
        "clock_tolerance": params["clock_tolerance"],
        "clock_window": params["clock_window"],
        "nfs_attribute_caching": params["nfs_attribute_caching"],
    }
    for index, entry in enumerate(params["paths"]):
        if not isinstance(entry, dict) or not entry.get("name") or not str(entry.get("path", "")).startswith("/"):
            module.fail_json(msg=f"paths[{index}]: {entry!r}; accepted: a mapping with a name and an absolute path")
    try:
        report = evaluate(params["hosts"], params["probes"], settings, params["pulsar_probes"])
    except ClusterCheckError as exc:
        module.fail_json(msg=str(exc))
    tables = {
        host: render_table(host, params["hosts"][host].get("roles", []), rows) for host, rows in report["rows"].items()
    }
    module.exit_json(
        changed=False,
        tables=tables,
        failures=report["failures"],
        warnings_found=report["warnings"],
        failure_lines=failure_lines(report["failures"]),
        warning_lines=failure_lines(report["warnings"]),
    )


def main():
    module = AnsibleModule(
        argument_spec={
            "hosts": {"type": "dict", "required": True},
            "probes": {"type": "dict", "default": {}},
            "pulsar_probes": {"type": "dict", "default": {}},
            "paths": {"type": "list", "elements": "dict", "required": True},
            "galaxy_user": {"type": "str", "required": True},
            "users": {"type": "list", "elements": "str", "default": []},
            "reference_host": {"type": "str", "default": ""},
            "clock_tolerance": {"type": "float", "default": 300},
            "clock_window": {"type": "float", "default": 0},
            "nfs_attribute_caching": {"type": "str", "choices": ["warn", "fail", "ignore"], "default": "warn"},
        },
        supports_check_mode=True,
    )
    run_module(module)


if __name__ == "__main__":
    main()
