# Copyright: gxhpc.cluster contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters the slurm role uses to work out its cluster: roles, exec hosts, node lines."""

from __future__ import annotations

DOCUMENTATION = r"""
---
name: slurm
short_description: Slurm cluster layout filters
version_added: 0.1.0
description:
  - C(slurm_host_roles(slurm_roles, group_names)) - a host's Slurm roles from C(slurm_roles) and the
    galaxyproject.slurm inventory groups (slurmservers, slurmexechosts, slurmsubmit, slurmdbdservers).
  - C(slurm_parse_slurmd_c(output)) - the fields of C(slurmd -C).
  - C(slurm_exec_hosts(play_hosts, hostvars, controller)) - the exec-host facts of a cluster.
  - C(slurm_first_with_role(play_hosts, hostvars, role[, controller])) - the first play host with a Slurm role.
  - C(slurm_node_list(slurm_nodes, exec_hosts)) - the NodeName entries of a cluster.
  - C(slurm_proc_resources(text, hostname)) - CPUs and RealMemory from C(cat /proc/meminfo /proc/cpuinfo),
    as C(slurmd -C) reports them, for hosts where slurmd is not installed yet.
  - C(slurm_plan(settings, play_hosts, hostvars, controller)) - the slurm role's plan for one host, every
    problem with its variables (C(problems), each naming the variable and the value) and C(warnings).
  - C(slurm_with_default_memory(config, nodes)) - DefMemPerCPU added when memory is consumable and unset.
  - C(slurm_cluster_resources(nodes, partitions)) - each node's and partition's CPUs and memory as Slurm
    will grant them (the published fact C(slurm_cluster_resources)).
author:
  - gxhpc.cluster contributors
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.gxhpc.cluster.plugins.module_utils import slurm_cluster, slurm_conf, slurm_plan


def _wrap(func):
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except slurm_conf.SlurmConfError as exc:
            raise AnsibleFilterError(str(exc)) from exc

    wrapper.__name__ = func.__name__
    wrapper.__doc__ = func.__doc__
    return wrapper


def slurm_exec_hosts(play_hosts, hostvars, controller):
    """Exec hosts in ``play_hosts`` whose controller is ``controller``, from their set facts."""
    hosts = []
    for name in play_hosts:
        facts = hostvars[name]
        if facts.get("__slurm_controller") != controller or "exec" not in facts.get("__slurm_host_roles", []):
            continue
        info = dict(facts.get("__slurm_exec_info") or {})
        info["inventory_hostname"] = name
        info.setdefault("hostname", facts.get("ansible_hostname") or name)
        hosts.append(info)
    return hosts


def slurm_first_with_role(play_hosts, hostvars, role, controller=None):
    """The first host of ``play_hosts`` whose resolved Slurm roles include ``role``, or ''.

    With ``controller``, only hosts of that controller's cluster count.
    """
    for name in play_hosts:
        facts = hostvars[name]
        if controller is not None and facts.get("__slurm_controller") != controller:
            continue
        if role in (facts.get("__slurm_host_roles") or []):
            return name
    return ""


def slurm_role_plan(settings, play_hosts, hostvars, controller):
    """The slurm role's plan for one host; see module_utils/slurm_plan.py."""
    if not isinstance(settings, dict):
        raise AnsibleFilterError(f"slurm_plan expects a dict of the role's variables, got {type(settings).__name__}")
    return slurm_plan.plan(settings, slurm_exec_hosts(play_hosts, hostvars, controller))


class FilterModule:
    def filters(self):
        return {
            "slurm_host_roles": _wrap(slurm_cluster.host_roles),
            "slurm_parse_slurmd_c": _wrap(slurm_conf.parse_slurmd_c),
            "slurm_exec_hosts": _wrap(slurm_exec_hosts),
            "slurm_first_with_role": _wrap(slurm_first_with_role),
            "slurm_node_list": _wrap(slurm_cluster.node_list),
            "slurm_proc_resources": _wrap(slurm_cluster.proc_resources),
            "slurm_plan": _wrap(slurm_role_plan),
            "slurm_with_default_memory": _wrap(slurm_cluster.with_default_memory),
            "slurm_cluster_resources": _wrap(slurm_cluster.cluster_resources),
        }
