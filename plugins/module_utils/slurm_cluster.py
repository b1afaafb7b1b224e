# Copyright: gxhpc.cluster contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which host plays which Slurm role, and which NodeName lines a cluster needs."""

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


def _split_hostlist(expression):
    """Split a hostlist at the commas and spaces that are outside brackets."""
    parts, current, depth = [], "", 0
    for char in expression:
        if char == "[":
            depth += 1
        elif char == "]":
            depth -= 1
            if depth < 0:
                raise SlurmConfError(f"{expression!r} has a ']' without its '['")
        if depth == 0 and (char == "," or char.isspace()):
            if current:
                parts.append(current)
            current = ""
            continue
        current += char
    if depth:
        raise SlurmConfError(f"{expression!r} has a '[' without its ']'")
    if current:
        parts.append(current)
    return parts


def _expand_ranges(ranges, expression):
    """``01-03,7`` -> ['01', '02', '03', '7'], keeping the zero padding of each range's start."""
    items = []
    for item in ranges.split(","):
        start, dash, end = item.strip().partition("-")
        if not start.isdigit() or (dash and not end.isdigit()):
            raise SlurmConfError(f"{expression!r}: [{ranges}] is not a list of numbers and ranges such as [1-4,7]")
        if not dash:
            items.append(start)
            continue
        if int(end) < int(start):
            raise SlurmConfError(f"{expression!r}: the range {item} runs backwards")
        if int(end) - int(start) >= 100000:
            raise SlurmConfError(f"{expression!r}: the range {item} has more than 100000 names")
        width = len(start) if start.startswith("0") else 1
        items.extend(f"{i:0{width}d}" for i in range(int(start), int(end) + 1))
    return items


def _expand_one(host, expression):
    opening = host.find("[")
    if opening < 0:
        return [host]
    closing = host.index("]", opening)
    prefix, ranges, rest = host[:opening], host[opening + 1 : closing], host[closing + 1 :]
    tails = _expand_one(rest, expression)
    return [f"{prefix}{item}{tail}" for item in _expand_ranges(ranges, expression) for tail in tails]


def expand_hostlist(expression):
    """Expand a Slurm hostlist such as ``node[01-03,7],gpu1`` or ``rack[1-2]-n[1-4]`` into names.

    Names are separated by commas or spaces outside brackets; each bracket holds numbers and
    ranges, a range keeps the zero padding of its start, and several brackets multiply. A
    malformed list raises SlurmConfError saying what is wrong.
    """
    names = []
    for host in _split_hostlist(str(expression)):
        names.extend(_expand_one(host, expression))
    return names


def proc_resources(text, hostname):
    """What ``slurmd -C`` would report, from /proc/meminfo and /proc/cpuinfo read together.

    For hosts where slurmd is not installed yet (preflight, check mode): CPUs is the number of
    logical processors, RealMemory MemTotal in MB (slurmd's own figure: physical pages times page
    size, in MiB, rounded down).
    """
    cpus = 0
    memory_kb = None
    for line in (text or "").splitlines():
        key, _colon, value = line.partition(":")
        key = key.strip()
        if key == "processor":
            cpus += 1
        elif key == "MemTotal" and memory_kb is None:
            memory_kb = int(value.split()[0])
    if not cpus or memory_kb is None:
        raise SlurmConfError(f"{hostname}: /proc/cpuinfo and /proc/meminfo give no processor or MemTotal line")
    return {"NodeName": hostname, "CPUs": cpus, "RealMemory": memory_kb // 1024}


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


def hosts_by_node_name(exec_hosts):
    """The exec hosts by the node names that mean them: hostname, inventory name, and ``localhost``
    when there is only one."""
    by_name = {}
    for host in exec_hosts:
        for key in (host.get("hostname"), host.get("inventory_hostname")):
            if key:
                by_name[key] = host
    if len(exec_hosts) == 1:
        by_name.setdefault("localhost", exec_hosts[0])
    return by_name


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
                    "run the play on that host too (or once, with a persistent fact cache), or describe the nodes "
                    "in slurm_nodes"
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

    by_name = hosts_by_node_name(exec_hosts)
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


def with_configless(config, enabled):
    """``config`` with ``enable_configless`` in SlurmctldParameters when ``enabled`` (kept once, others kept)."""
    config = dict(config)
    if not enabled:
        return config
    key = next((k for k in config if str(k).lower() == "slurmctldparameters"), "SlurmctldParameters")
    value = config.get(key)
    if isinstance(value, (list, tuple)):
        params = [str(v) for v in value]
    else:
        params = [p.strip() for p in str(value or "").split(",") if p.strip()]
    if "enable_configless" not in (p.lower() for p in params):
        params.append("enable_configless")
    config[key] = ",".join(params)
    return config


def conf_server(host, port):
    """``host:port`` for ``slurmd``/``sackd --conf-server``: SlurmctldPort may be a range; its first port answers."""
    first = str(port).split("-", 1)[0].strip()
    if not first.isdigit():
        raise SlurmConfError(f"SlurmctldPort: {port!r} is not a port or a range of ports such as 6817-6818")
    return f"{host}:{first}"


def cluster_resources(nodes, partitions):
    """What each node and partition really offers a job, for the published fact ``slurm_cluster_resources``.

    ``nodes`` are the NodeName entries :func:`node_list` made (CPUs and RealMemory already less the margin and
    the Galaxy reservation, so exactly what Slurm will let a job have); ``partitions`` the PartitionName
    entries. Returns ``{'nodes': [{'name', 'cpus', 'memory_mb'}], 'partitions': [{'name', 'nodes', 'default',
    'max_cpus', 'max_memory_mb'}]}`` where a partition's maxima are those of its largest node (a job runs on
    one node). A node entry without CPUs or RealMemory (a hand-written slurm_nodes line no host of the play
    provides) has null there, and counts for no maximum.
    """
    by_name = {}
    out_nodes = []
    for entry in nodes or ():
        cpus = entry.get("CPUs")
        memory = entry.get("RealMemory")
        cpus = int(cpus) if str(cpus).isdigit() else None
        memory = int(memory) if str(memory).isdigit() else None
        for name in expand_hostlist(entry.get("name", "")):
            if name.upper() in ("ALL", "DEFAULT"):
                continue
            record = {"name": name, "cpus": cpus, "memory_mb": memory}
            by_name[name] = record
            out_nodes.append(record)
    out_partitions = []
    for partition in partitions or ():
        members = partition.get("Nodes", "ALL")
        if isinstance(members, (list, tuple)):
            members = ",".join(str(m) for m in members)
        if str(members).upper() == "ALL":
            names = list(by_name)
        else:
            names = [n for n in expand_hostlist(members) if n in by_name]
        cpus = [by_name[n]["cpus"] for n in names if by_name[n]["cpus"] is not None]
        memory = [by_name[n]["memory_mb"] for n in names if by_name[n]["memory_mb"] is not None]
        out_partitions.append(
            {
                "name": str(partition["name"]),
                "nodes": names,
                "default": str(partition.get("Default", "NO")).upper() in ("YES", "TRUE"),
                "max_cpus": max(cpus) if cpus else None,
                "max_memory_mb": max(memory) if memory else None,
            }
        )
    return {"nodes": out_nodes, "partitions": out_partitions}
