# Copyright: gxhpc.cluster contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The slurm role's plan: every problem with a host's Slurm variables, found before any change.

The role's preflight sets one fact from ``plan`` (through the ``slurm_plan`` filter) and asserts
that it lists no problem. argument_specs check types and choices; the rules across variables and
hosts live here, each once.
"""

from ansible_collections.gxhpc.cluster.plugins.module_utils.slurm_cluster import (
    expand_hostlist,
    hosts_by_node_name,
    node_list,
)
from ansible_collections.gxhpc.cluster.plugins.module_utils.slurm_conf import (
    SlurmConfError,
    config_problems,
    render_value,
)

# What the role is tested on (Molecule runs both); anything else needs slurm_allow_untested_platform.
TESTED_PLATFORMS = (("Debian", "12"), ("Debian", "13"))
# Variables of galaxyproject.slurm's latest release (1.0.5) this role does not use; preflight warns about each
# one set. docs/migrating-from-galaxyproject-slurm.md lists exactly these (tests/docs checks it).
IGNORED_VARIABLES = (
    "slurm_gres_config",
    "slurm_acct_gather_config",
    "slurm_create_dirs",
    "slurm_rotate_logs",
    "slurmd_service_name",
    "slurmctld_service_name",
    "slurmdbd_service_name",
)
# Node names a partition may use that are not nodes.
_NODE_KEYWORDS = ("ALL", "DEFAULT")
# Configless Slurm (slurmd --conf-server, SlurmctldParameters=enable_configless) came with 20.02; sackd,
# which fetches the configuration for a submit host that runs no slurmd, with 23.11.
CONFIGLESS_SINCE = (20, 2)
SACKD_SINCE = (23, 11)


def _tested():
    return " and ".join(f"{d} {v}" for d, v in TESTED_PLATFORMS)


def platform_problems(settings):
    distribution = str(settings.get("distribution") or "unknown")
    version = str(settings.get("distribution_version") or "")
    major = str(settings.get("distribution_major_version") or "")
    if not settings.get("platform_vars_loaded", True):
        return [
            f"This host runs {distribution} {version} ({settings.get('os_family') or 'unknown'} family): "
            "gxhpc.cluster.slurm knows only Debian-family hosts (apt and Debian's packages) and is tested on "
            f"{_tested()}."
        ]
    if (distribution, major) in TESTED_PLATFORMS or settings.get("slurm_allow_untested_platform"):
        return []
    return [
        f"This host runs {distribution} {version}; gxhpc.cluster.slurm is tested on {_tested()} only. Set "
        "slurm_allow_untested_platform: true to run it here anyway (package names and versions may differ)."
    ]


def version_tuple(version):
    """``'22.05.8'`` (or a Debian version such as ``'24.11.5-4+deb13u1'``) as (22, 5); None when unknown."""
    parts = str(version or "").rsplit(":", 1)[-1].split(".")
    if len(parts) < 2 or not parts[0].isdigit():
        return None
    minor = "".join(c for c in parts[1] if c.isdigit()) if parts[1][:1].isdigit() else ""
    return (int(parts[0]), int(minor)) if minor else None


def apt_policy_version(text):
    """The version ``apt-cache policy`` shows as installed, else its candidate; '' when neither."""
    found = {}
    for line in (text or "").splitlines():
        key, _colon, value = line.strip().partition(":")
        if key in ("Installed", "Candidate") and key not in found:
            found[key] = value.strip()
    for key in ("Installed", "Candidate"):
        if found.get(key) and found[key] != "(none)":
            return found[key]
    return ""


def slurm_version(settings):
    """The Slurm version this host runs or will run: the platform's (vars), else what apt says."""
    return str(settings.get("slurm_version") or "") or apt_policy_version(settings.get("apt_policy"))


def configless_mode(settings):
    """How this host gets its Slurm configuration: {'enabled', 'local_files', 'slurmd_conf_server', 'sackd'}.

    Without ``slurm_configless`` every Slurm host keeps slurm.conf. With it, only the controller (and
    slurmdbd-only hosts, which configless does not cover) keeps the files; an exec node runs
    ``slurmd --conf-server``; a submit host that runs no slurmd runs ``sackd --conf-server`` where the
    Slurm version has it (23.11+), and keeps a copy of slurm.conf below that (Slurm's other ways for
    client commands are DNS SRV records; see docs/configless.md).
    """
    roles = set(settings.get("host_roles") or ())
    enabled = bool(settings.get("slurm_configless")) and bool(roles)
    version = version_tuple(slurm_version(settings))
    exec_only = enabled and "exec" in roles and "controller" not in roles
    sackd = (
        enabled
        and roles.isdisjoint({"controller", "exec", "dbd"})
        and "submit" in roles
        and version is not None
        and version >= SACKD_SINCE
    )
    return {
        "enabled": enabled,
        "local_files": bool(roles) and not (exec_only or sackd),
        "slurmd_conf_server": exec_only,
        "sackd": sackd,
    }


def configless_problems(settings):
    if not settings.get("slurm_configless"):
        return []
    version = slurm_version(settings)
    parsed = version_tuple(version)
    if parsed is None:
        return [
            f"slurm_configless: true needs Slurm 20.02 or later, and the Slurm version this host will run is "
            f"unknown ({version!r}: no Slurm package found). Install Slurm's packages from a repository that has "
            "20.02 or later, or set slurm_configless: false."
        ]
    if parsed < CONFIGLESS_SINCE:
        return [
            f"slurm_configless: true needs Slurm 20.02 or later, but this host will run Slurm {version}. Set "
            "slurm_configless: false (every host then keeps slurm.conf), or install a newer Slurm."
        ]
    return []


def out_of_play_problems(exec_hosts, nodes):
    """Exec hosts of the cluster outside this play (--limit) whose resources slurm.conf needs but nobody knows."""
    unknown = [h["inventory_hostname"] for h in exec_hosts if not h.get("in_play", True) and not h.get("detected")]
    if not unknown:
        return []
    if nodes:
        # Hand-written node lines: only those naming such a host without CPUs or RealMemory need its facts.
        by_name = hosts_by_node_name(exec_hosts)
        unknown = sorted(
            {
                by_name[str(e["name"])]["inventory_hostname"]
                for e in nodes
                if str(e["name"]) in by_name
                and by_name[str(e["name"])]["inventory_hostname"] in unknown
                and not ("CPUs" in e and "RealMemory" in e)
            }
        )
        if not unknown:
            return []
    return [
        f"{', '.join(unknown)} {'is an exec host' if len(unknown) == 1 else 'are exec hosts'} of this cluster outside "
        "this play (--limit), and the fact cache has no record of "
        f"{'its' if len(unknown) == 1 else 'their'} CPUs and memory, which slurm.conf's node lines need. Either run "
        "once without --limit (or with those hosts in it) with a persistent fact cache (fact_caching = jsonfile "
        "and fact_caching_connection in ansible.cfg), then limit later runs to the controller and the new node; or "
        "give CPUs and RealMemory for those nodes in slurm_nodes. Never write slurm.conf without them: Slurm would "
        "drop the nodes."
    ]


def _whole_number(value):
    """``value`` as an int when it is a whole number (int or digits), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    text = str(value).strip()
    if text.lstrip("-").isdigit():
        return int(text)
    return None


def _get(entry, key):
    """A Slurm parameter of an entry, whatever its case (Slurm reads keys case-insensitively)."""
    for name, value in entry.items():
        if str(name).lower() == key.lower():
            return name, value
    return None, None


def _entries(name, entries, problems):
    """The dict entries of slurm_nodes/slurm_partitions that have a name; a problem for each other."""
    good = []
    for index, entry in enumerate(entries or ()):
        if not isinstance(entry, dict) or entry.get("name") in (None, ""):
            problems.append(f"{name}[{index}]: {entry!r} has no 'name'; each entry is a mapping with a name.")
            continue
        good.append(entry)
    return good


def _expand(name, where, problems):
    try:
        return expand_hostlist(name)
    except SlurmConfError as exc:
        problems.append(f"{where}: {exc}.")
        return []


def node_problems(nodes, exec_hosts, config_overrides):
    """CPUs and RealMemory of each slurm_nodes entry: whole numbers from 1, not beyond what the node has."""
    problems = []
    by_name = hosts_by_node_name(exec_hosts)
    for entry in nodes:
        label = f"slurm_nodes: node {entry['name']!r}"
        for key in ("CPUs", "RealMemory"):
            written, value = _get(entry, key)
            if written is None:
                continue
            number = _whole_number(value)
            unit = " MB" if key == "RealMemory" else ""
            if number is None or number < 1:
                problems.append(
                    f"{label} has {written}={value!r}; accepted: a whole number from 1 (or leave {key} out to "
                    "have it detected)."
                )
                continue
            if config_overrides:
                continue
            for name in _expand(entry["name"], label, []):
                host = by_name.get(name)
                has = ((host or {}).get("detected") or {}).get(key)
                if has is not None and number > int(has):
                    problems.append(
                        f"{label} has {written}={value} but {host['inventory_hostname']} has {has}{unit}: slurmd "
                        f"would report less and the node would be left invalid. Give at most {has}{unit}, leave "
                        f"{key} out to have it detected, or set SlurmdParameters: config_overrides in slurm_config."
                    )
    return problems


def unprovided_nodes(nodes, exec_hosts):
    """Names in slurm_nodes entries that no exec host of the play provides."""
    by_name = hosts_by_node_name(exec_hosts)
    missing = []
    for entry in nodes:
        for name in _expand(entry["name"], "slurm_nodes", []):
            if name not in by_name and name.upper() not in _NODE_KEYWORDS:
                missing.append(name)
    return missing


def partition_problems(partitions, defined):
    """Each partition's Nodes must be non-empty and name only nodes slurm.conf defines (or ALL)."""
    problems = []
    for entry in partitions:
        written, value = _get(entry, "Nodes")
        if written is None:
            continue
        label = f"slurm_partitions: partition {entry['name']!r}"
        text = render_value(value) if value is not None else ""
        if not text.strip():
            problems.append(
                f"{label} has {written}={value!r}; give the partition's nodes (a Slurm hostlist, or ALL), or leave "
                f"{written} out."
            )
            continue
        names = _expand(text, f"{label} {written}", problems)
        unknown = [n for n in names if n not in defined and n.upper() not in _NODE_KEYWORDS]
        if unknown:
            problems.append(
                f"{label} has {written}={text!r}, naming {', '.join(unknown)}, which "
                f"{'is not a node' if len(unknown) == 1 else 'are not nodes'} of this cluster (its nodes: "
                f"{', '.join(sorted(defined)) or 'none'}). Name nodes of slurm_nodes, or exec hosts of the play when "
                "slurm_nodes is empty."
            )
    return problems


def plan(settings, exec_hosts=()):
    """Return the slurm role's plan for one host: {'problems': [...], 'warnings': [...]}.

    ``settings``: the host's variables (slurm_nodes, slurm_partitions, slurm_config, ...) plus
    ``host_roles`` and ``controller`` (resolved), ``is_controller``, ``dbd_password_set``,
    ``defined_variables`` (names set for the host) and the platform (``distribution``,
    ``distribution_major_version``, ``distribution_version``, ``os_family``, ``platform_vars_loaded``).
    ``exec_hosts``: the exec hosts of this host's cluster, each {'inventory_hostname', 'hostname',
    'detected' (CPUs and RealMemory the host has), 'margin_percent', 'reserved_cores',
    'reserved_memory_mb', 'in_play'}. Every problem is reported at once; each names the variable and the value.
    ``configless`` in the result says how this host gets its configuration (:func:`configless_mode`).
    """
    problems = list(platform_problems(settings))
    problems.extend(configless_problems(settings))
    roles = list(settings.get("host_roles") or ())
    exec_hosts = list(exec_hosts or ())
    name = settings.get("inventory_hostname", "this host")

    if roles and not settings.get("controller"):
        problems.append(
            f"{name} has Slurm roles {roles} but no host in this play has the controller role and "
            "slurm_controller_host is empty. Give one host slurm_roles: ['controller'] (or put it in the "
            "slurmservers group), or set slurm_controller_host to the controller's name."
        )
    if "dbd" in roles and not settings.get("dbd_password_set"):
        problems.append(
            f"slurm_dbd_storage_pass is empty, but {name} has the dbd role: slurmdbd needs the accounting database "
            "password. Set slurm_dbd_storage_pass (keep it in a vault), or StoragePass in slurm_dbd_config."
        )

    for var, minimum, maximum in (
        ("slurm_galaxy_reserved_cores", 0, None),
        ("slurm_galaxy_reserved_memory_mb", 0, None),
        ("slurm_realmemory_margin_percent", 0, 100),
    ):
        value = settings.get(var, 0)
        try:
            number = float(value)
        except (TypeError, ValueError):
            number = None
        if number is None or number < minimum or (maximum is not None and number >= maximum):
            accepted = f"{minimum} or more" if maximum is None else f"from {minimum} to below {maximum}"
            problems.append(f"{var}: {value!r} is out of range; accepted: {accepted}.")

    for var in ("slurm_config", "slurm_cgroup_config"):
        problems.extend(f"{p}." for p in config_problems(settings.get(var) or {}, var))
    problems.extend(
        f"{p}." for p in config_problems(settings.get("slurm_dbd_config") or {}, "slurm_dbd_config", ("StoragePass",))
    )

    nodes = _entries("slurm_nodes", settings.get("slurm_nodes"), problems)
    partitions = _entries("slurm_partitions", settings.get("slurm_partitions"), problems)
    for var, entries in (("slurm_nodes", nodes), ("slurm_partitions", partitions)):
        for entry in entries:
            problems.extend(f"{p}." for p in config_problems(entry, f"{var}[{entry['name']!r}]"))

    if roles:
        _key, overrides = _get(settings.get("slurm_config") or {}, "SlurmdParameters")
        problems.extend(node_problems(nodes, exec_hosts, "config_overrides" in render_value(overrides or "")))
        if nodes:
            defined = set()
            for entry in nodes:
                defined.update(_expand(entry["name"], f"slurm_nodes: node {entry['name']!r}", problems))
        else:
            defined = {h["hostname"] for h in exec_hosts if h.get("hostname")}
        problems.extend(partition_problems(partitions, defined))

    if settings.get("is_controller"):
        if nodes and settings.get("slurm_preflight_node_check", True):
            missing = unprovided_nodes(nodes, exec_hosts)
            if missing:
                problems.append(
                    f"slurm_nodes: {missing} {'is' if len(missing) == 1 else 'are'} not provided by any exec host of "
                    f"this play (exec hosts: {', '.join(h['inventory_hostname'] for h in exec_hosts)}; a node's name "
                    "must be the host's short hostname or inventory name, or localhost on a one-node cluster). Fix "
                    "the names, add those hosts with slurm_roles: ['exec'], or set slurm_preflight_node_check: false "
                    "if they are managed elsewhere."
                )
        problems.extend(out_of_play_problems(exec_hosts, nodes))
        # The node lines configure.yml will write from what the hosts have: a Galaxy reservation that
        # leaves no CPU or memory fails here rather than after the packages.
        if all(h.get("detected") for h in exec_hosts):
            try:
                node_list(nodes, exec_hosts)
            except SlurmConfError as exc:
                problems.append(f"{exc}.")

    defined_variables = set(settings.get("defined_variables") or ())
    ignored = [v for v in IGNORED_VARIABLES if v in defined_variables]
    warnings = []
    if ignored:
        warnings.append(
            f"{', '.join(ignored)} {'is' if len(ignored) == 1 else 'are'} set but not used by gxhpc.cluster.slurm "
            "(see docs/migrating-from-galaxyproject-slurm.md): put such settings in slurm_config, or manage those "
            "files separately."
        )
    return {"problems": problems, "warnings": warnings, "configless": configless_mode(settings)}
