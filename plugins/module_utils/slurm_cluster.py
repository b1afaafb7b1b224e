# Copyright: gxhpc.cluster contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which host plays which Slurm role, and which NodeName lines a cluster needs."""

from __future__ import annotations

import re

from ansible_collections.gxhpc.cluster.plugins.module_utils.slurm_conf import (
    HOST_ROLES,
    ROLE_ALIASES,
    ROLE_GROUPS,
    SlurmConfError,
)


def host_roles(slurm_roles, group_names=()):
    """Return the sorted Slurm roles of a host from ``slurm_roles`` and its inventory groups.

    Raises SlurmConfError naming ``slurm_roles``, the bad value and the accepted ones.
    """
    if isinstance(slurm_roles, str):
        raise SlurmConfError(f"slurm_roles: {slurm_roles!r} is a string; give a list, e.g. ['controller', 'exec']")
    roles = set()
    for role in slurm_roles or ():
        role = ROLE_ALIASES.get(role, role)
        if role not in HOST_ROLES:
            accepted = ", ".join(HOST_ROLES + tuple(ROLE_ALIASES))
            raise SlurmConfError(f"slurm_roles: {role!r} is not a Slurm host role (accepted: {accepted})")
        roles.add(role)
    roles.update(ROLE_GROUPS[g] for g in group_names or () if g in ROLE_GROUPS)
    return sorted(roles)


def expand_hostlist(expression):
    """Expand a Slurm hostlist such as ``node[01-03,7],gpu1`` into names."""
    names = []
    for part in re.findall(r"[^,\[]+(?:\[[^\]]*\])?[^,\[]*", str(expression)):
        match = re.match(r"^([^\[]*)\[([^\]]*)\](.*)$", part)
        if not match:
            names.append(part)
            continue
        prefix, ranges, suffix = match.groups()
        for item in ranges.split(","):
            start, _dash, end = item.partition("-")
            if not end:
                names.append(f"{prefix}{start}{suffix}")
                continue
            width = len(start)
            names.extend(f"{prefix}{i:0{width}d}{suffix}" for i in range(int(start), int(end) + 1))
    return names


def detected_node(detected, margin_percent=5, reserved_cores=0, reserved_memory_mb=0, name=None):
    """Turn ``slurmd -C`` fields into a slurm_nodes entry, keeping resources back.

    RealMemory is kept ``margin_percent`` below what the node has, so that a little memory used by
    the system does not make slurmd report less than configured (the node would drain), and the
    Galaxy reservation is subtracted too. When cores are reserved the topology lines are dropped
    and only CPUs is given, since Sockets*Cores*Threads would no longer add up.
    """
    cpus = int(detected["CPUs"]) - int(reserved_cores)
    memory = int(int(detected.get("RealMemory", 1)) * (100 - float(margin_percent)) / 100) - int(reserved_memory_mb)
    if cpus < 1:
        raise SlurmConfError(
            f"slurm_galaxy_reserved_cores: {reserved_cores} leaves no CPU on {detected['NodeName']} "
            f"({detected['CPUs']} CPUs); accepted: 0 to {int(detected['CPUs']) - 1}"
        )
    if memory < 1:
        raise SlurmConfError(
            f"slurm_galaxy_reserved_memory_mb: {reserved_memory_mb} leaves no memory on {detected['NodeName']} "
            f"({detected.get('RealMemory')} MB)"
        )
    node = {"name": name or detected["NodeName"], "CPUs": cpus, "RealMemory": memory, "State": "UNKNOWN"}
    if not reserved_cores:
        for key in ("Boards", "SocketsPerBoard", "CoresPerSocket", "ThreadsPerCore"):
            if key in detected:
                node[key] = detected[key]
    return node


def node_list(slurm_nodes, exec_hosts):
    """Return the NodeName entries for a cluster.

    ``exec_hosts`` is a list of dicts: {'inventory_hostname', 'hostname', 'detected' (slurmd -C fields
    or None), 'margin_percent', 'reserved_cores', 'reserved_memory_mb'}.

    Without ``slurm_nodes`` each exec host gives one node from its detected resources. With
    ``slurm_nodes`` (galaxyproject.slurm style) the user's entries are kept as written, and an entry
    that names one exec host (its hostname, its inventory name, or ``localhost`` on a one-exec-host
    cluster) gets the CPUs and RealMemory it lacks from that host, so ``--mem`` requests work.
    """
    if not slurm_nodes:
        nodes = []
        for host in exec_hosts:
            if not host.get("detected"):
                raise SlurmConfError(
                    f"slurm_nodes is empty and the resources of exec host {host['inventory_hostname']} are unknown; "
                    "run the play on that host too, or describe the nodes in slurm_nodes"
                )
            nodes.append(
                detected_node(
                    host["detected"],
                    host.get("margin_percent", 5),
                    host.get("reserved_cores", 0),
                    host.get("reserved_memory_mb", 0),
                    name=host.get("hostname"),
                )
            )
        return nodes

    by_name = {}
    for host in exec_hosts:
        for key in (host.get("hostname"), host.get("inventory_hostname")):
            if key:
                by_name[key] = host
    if len(exec_hosts) == 1:
        by_name.setdefault("localhost", exec_hosts[0])

    nodes = []
    for entry in slurm_nodes:
        entry = dict(entry)
        host = by_name.get(str(entry.get("name")))
        if host and host.get("detected") and ("RealMemory" not in entry or "CPUs" not in entry):
            filled = detected_node(
                host["detected"],
                host.get("margin_percent", 5),
                host.get("reserved_cores", 0),
                host.get("reserved_memory_mb", 0),
            )
            entry.setdefault("RealMemory", filled["RealMemory"])
            entry.setdefault("CPUs", filled["CPUs"])
        nodes.append(entry)
    return nodes


def unprovided_nodes(slurm_nodes, exec_hosts):
    """Names in ``slurm_nodes`` that no exec host of the play provides."""
    provided = set()
    for host in exec_hosts:
        provided.update(n for n in (host.get("hostname"), host.get("inventory_hostname")) if n)
    if len(exec_hosts) == 1:
        provided.add("localhost")
    missing = []
    for entry in slurm_nodes or ():
        for name in expand_hostlist(entry.get("name", "")):
            if name not in provided and name.upper() not in ("ALL", "DEFAULT"):
                missing.append(name)
    return missing


def with_default_memory(config, nodes):
    """Add DefMemPerCPU to ``config`` when memory is a consumable resource and none is set.

    With CR_*_Memory and no default, a job that asks for no memory is given the whole node's
    RealMemory, so jobs without --mem (most of Galaxy's) run one per node. The default is the
    smallest memory per CPU of the nodes, so a node's CPUs can all be used at once.
    """
    params = str(config.get("SelectTypeParameters", ""))
    if "memory" not in params.lower():
        return dict(config)
    if any(k in config for k in ("DefMemPerCPU", "DefMemPerNode", "DefMemPerGPU")):
        return dict(config)
    per_cpu = [
        int(n["RealMemory"]) // int(n["CPUs"])
        for n in nodes
        if str(n.get("RealMemory", "")).isdigit() and str(n.get("CPUs", "")).isdigit() and int(n["CPUs"]) > 0
    ]
    if not per_cpu:
        return dict(config)
    return dict(config, DefMemPerCPU=max(1, min(per_cpu)))
