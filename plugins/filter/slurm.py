# Copyright: gxhpc.cluster contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters the slurm role uses to work out its cluster: roles, exec hosts, node lines."""

DOCUMENTATION = r"""
---
name: slurm
short_description: Slurm cluster layout filters
version_added: 0.1.0
description:
  - C(slurm_host_roles(slurm_roles, group_names)) - a host's Slurm roles from C(slurm_roles) and the
    galaxyproject.slurm inventory groups (slurmservers, slurmexechosts, slurmsubmit, slurmdbdservers).
  - C(slurm_parse_slurmd_c(output)) - the fields of C(slurmd -C).
  - C(slurm_exec_hosts(hosts, hostvars, controller[, play_hosts])) - the exec-host facts of a cluster; hosts of
    the play from their facts, the others (outside a --limit) from the inventory and the fact cache.
  - C(slurm_first_with_role(play_hosts, hostvars, role[, controller])) - the first play host with a Slurm role.
  - C(slurm_node_list(slurm_nodes, exec_hosts)) - the NodeName entries of a cluster.
  - C(slurm_proc_resources(text, hostname)) - CPUs and RealMemory from C(cat /proc/meminfo /proc/cpuinfo),
    as C(slurmd -C) reports them, for hosts where slurmd is not installed yet.
  - C(slurm_plan(settings, hosts, hostvars, controller[, play_hosts])) - the slurm role's plan for one host, every
    problem with its variables (C(problems), each naming the variable and the value), C(warnings) and
    C(configless) (how the host gets its configuration).
  - C(slurm_with_default_memory(config, nodes)) - DefMemPerCPU added when memory is consumable and unset.
  - C(slurm_with_configless(config, enabled)) - C(enable_configless) added to SlurmctldParameters when enabled.
  - C(slurm_conf_server(host, port)) - the C(host:port) that C(--conf-server) takes (the first port of a range).
  - C(slurm_cluster_resources(nodes, partitions)) - each node's and partition's CPUs and memory as Slurm
    will grant them (the published fact C(slurm_cluster_resources)).
author:
  - gxhpc.cluster contributors (@gxhpc)
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


def slurm_exec_hosts(hosts, hostvars, controller, play_hosts=None):
    """Exec hosts among ``hosts`` whose controller is ``controller``.

    A host of ``play_hosts`` (default: all of ``hosts``) is read from the facts the role's preflight
    publishes (slurm_controller, slurm_host_roles, slurm_exec_info). Any other
    (outside a --limit) is an exec host by its inventory (slurm_roles, groups), of this cluster unless its
    slurm_controller_host names another, and its resources come from the fact cache (preflight and detect
    set them cacheable); without them ``detected`` is missing and the plan says how to proceed.
    """
    play_hosts = set(hosts if play_hosts is None else play_hosts)
    found = []
    for name in hosts:
        facts = hostvars[name]
        if name in play_hosts:
            if facts.get("slurm_controller") != controller or "exec" not in facts.get("slurm_host_roles", []):
                continue
        else:
            roles = slurm_cluster.host_roles(facts.get("slurm_roles") or [], facts.get("group_names") or [])
            if "exec" not in roles or (facts.get("slurm_controller_host") or controller) != controller:
                continue
        cached = facts.get("slurm_exec_info") or {}
        info = dict(cached) if name in play_hosts or cached.get("detected") else {}
        info["inventory_hostname"] = name
        info["in_play"] = name in play_hosts
        info.setdefault("hostname", facts.get("ansible_hostname") or name)
        found.append(info)
    return found


def slurm_first_with_role(play_hosts, hostvars, role, controller=None):
    """The first host of ``play_hosts`` whose resolved Slurm roles include ``role``, or ''.

    With ``controller``, only hosts of that controller's cluster count.
    """
    for name in play_hosts:
        facts = hostvars[name]
        if controller is not None and facts.get("slurm_controller") != controller:
            continue
        if role in (facts.get("slurm_host_roles") or []):
            return name
    return ""


def slurm_role_plan(settings, hosts, hostvars, controller, play_hosts=None):
    """The slurm role's plan for one host; see module_utils/slurm_plan.py."""
    if not isinstance(settings, dict):
        raise AnsibleFilterError(f"slurm_plan expects a dict of the role's variables, got {type(settings).__name__}")
    return slurm_plan.plan(settings, slurm_exec_hosts(hosts, hostvars, controller, play_hosts))


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
            "slurm_with_configless": _wrap(slurm_cluster.with_configless),
            "slurm_conf_server": _wrap(slurm_cluster.conf_server),
        }
