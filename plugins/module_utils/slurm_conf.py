# Copyright: gxhpc.cluster contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure-Python logic for Slurm configuration: rendering, node detection, cluster layout.

Shared by the ``slurm_conf`` module and the ``slurm`` filters, and unit-tested on its own.
"""

import re

# Host roles a Slurm host can play, and the inventory groups galaxyproject.slurm uses for them.
HOST_ROLES = ("controller", "exec", "submit", "dbd")
ROLE_ALIASES = {"client": "submit"}
ROLE_GROUPS = {
    "slurmservers": "controller",
    "slurmexechosts": "exec",
    "slurmsubmit": "submit",
    "slurmdbdservers": "dbd",
}

# slurm.conf parameters whose change `scontrol reconfigure` does not apply: the daemons must be
# restarted (slurm.conf(5), "The following parameters require a restart...", and node/partition
# topology, which before 23.11 also needs a restart).
RESTART_KEYS = frozenset(
    k.lower()
    for k in (
        "AuthAltTypes",
        "AuthAltParameters",
        "AuthInfo",
        "AuthType",
        "BcastAddr",
        "ClusterName",
        "CommunicationParameters",
        "ControlMachine",
        "CredType",
        "CryptoType",
        "EnforcePartLimits",
        "GresTypes",
        "JobCredentialPrivateKey",
        "JobCredentialPublicCertificate",
        "LaunchParameters",
        "MaxJobCount",
        "MCSPlugin",
        "NodeName",
        "PlugStackConfig",
        "PrologFlags",
        "ProctrackType",
        "SelectType",
        "SelectTypeParameters",
        "SlurmctldHost",
        "SlurmctldParameters",
        "SlurmctldPort",
        "SlurmdParameters",
        "SlurmdPort",
        "SlurmdSpoolDir",
        "SlurmdUser",
        "SlurmUser",
        "StateSaveLocation",
        "SwitchType",
        "TaskPlugin",
        "TCPTimeout",
        "TreeWidth",
        "TopologyPlugin",
        "AccountingStorageType",
        "AccountingStorageHost",
        "AccountingStoragePort",
        "JobAcctGatherType",
    )
)

_SLURMD_C_FIELD = re.compile(r"(\w+)=(\S+)")


class SlurmConfError(ValueError):
    """A configuration that cannot be rendered; the message names the variable."""


def render_value(value):
    """Render one slurm.conf value: booleans as YES/NO, lists comma-joined."""
    if value is True:
        return "YES"
    if value is False:
        return "NO"
    if isinstance(value, (list, tuple)):
        return ",".join(render_value(v) for v in value)
    return str(value)


_PARAMETER_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")


def key_problem(where, key):
    """Why ``key`` cannot be a slurm.conf parameter name, or None."""
    if not _PARAMETER_NAME.match(str(key)) or "\n" in str(key):
        return f"{where}: {key!r} is not a slurm.conf parameter name (letters, digits and _, on one line)"
    return None


def value_problem(where, key, value, secret=False):
    """Why ``value`` cannot be written as one slurm.conf line, or None. A secret value is not shown."""
    text = render_value(value)
    if "\n" in text or "\r" in text:
        shown = "the value" if secret else repr(value)
        return f"{where}.{key}: {shown} contains a line break; slurm.conf values are one line"
    return None


def config_problems(config, where, secret_keys=()):
    """Every key and value of a settings dict that cannot be written, as messages."""
    problems = []
    secret = {k.lower() for k in secret_keys}
    for key, value in (config or {}).items():
        problem = key_problem(where, key) or value_problem(where, key, value, str(key).lower() in secret)
        if problem:
            problems.append(problem)
    return problems


def _check_value(where, key, value):
    problem = value_problem(where, key, value)
    if problem:
        raise SlurmConfError(problem)
    return render_value(value)


def config_lines(config, where="slurm_config"):
    """Return ``Key=Value`` lines for a dict, sorted by key; None values are left out.

    A list value for SlurmctldHost (primary and backups) becomes one line per host, as
    slurm.conf(5) requires; other lists are comma-joined.
    """
    lines = []
    for key in sorted(config, key=str.lower):
        value = config[key]
        if value is None or value == "":
            continue
        problem = key_problem(where, key)
        if problem:
            raise SlurmConfError(problem)
        if key.lower() in ("slurmctldhost", "controlmachine") and isinstance(value, (list, tuple)):
            lines.extend(f"{key}={_check_value(where, key, v)}" for v in value)
        else:
            lines.append(f"{key}={_check_value(where, key, value)}")
    return lines


def entity_line(kind, entry, where):
    """Render a NodeName=/PartitionName= line from a dict with a ``name`` key."""
    if not isinstance(entry, dict) or not entry.get("name"):
        raise SlurmConfError(f"{where}: each entry needs a 'name' (got {entry!r})")
    parts = [f"{kind}={_check_value(where, 'name', entry['name'])}"]
    for key in sorted((k for k in entry if k != "name"), key=str.lower):
        if entry[key] is None:
            continue
        parts.append(f"{key}={_check_value(where, key, entry[key])}")
    return " ".join(parts)


def render(config, nodes=(), partitions=(), header="", where="slurm_config"):
    """Render a whole slurm.conf-style file."""
    out = []
    if header:
        out.extend(line.rstrip() for line in header.strip("\n").splitlines())
        out.append("")
    out.extend(config_lines(config, where))
    if nodes:
        out.append("")
        out.append("# Nodes")
        out.extend(entity_line("NodeName", n, "slurm_nodes") for n in nodes)
    if partitions:
        out.append("")
        out.append("# Partitions")
        out.extend(entity_line("PartitionName", p, "slurm_partitions") for p in partitions)
    return "\n".join(out) + "\n"


def parse(text):
    """Parse a slurm.conf-style text into (settings, node lines, partition lines).

    Settings map lower-cased keys to values; NodeName/PartitionName lines are kept whole so that
    a change to any of them is seen.
    """
    settings, nodes, partitions = {}, [], []
    for raw in (text or "").splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line or "=" not in line:
            continue
        key, _equals, value = line.partition("=")
        lowered = key.strip().lower()
        if lowered == "nodename":
            nodes.append(line)
        elif lowered == "partitionname":
            partitions.append(line)
        else:
            settings.setdefault(lowered, []).append(value.strip())
    return settings, nodes, partitions


def compare(old_text, new_text):
    """Say what a change of slurm.conf needs: {'changed_keys', 'nodes_changed', 'restart_required'}."""
    old_settings, old_nodes, old_parts = parse(old_text)
    new_settings, new_nodes, new_parts = parse(new_text)
    changed = sorted(k for k in set(old_settings) | set(new_settings) if old_settings.get(k) != new_settings.get(k))
    nodes_changed = old_nodes != new_nodes
    return {
        "changed_keys": changed,
        "nodes_changed": nodes_changed,
        "partitions_changed": old_parts != new_parts,
        "restart_required": nodes_changed or any(k in RESTART_KEYS for k in changed),
    }


def parse_slurmd_c(output):
    """Parse ``slurmd -C`` output into a dict of its fields (ints where numeric)."""
    fields = {}
    for line in (output or "").splitlines():
        if line.startswith("UpTime"):
            continue
        for key, value in _SLURMD_C_FIELD.findall(line):
            fields[key] = int(value) if value.isdigit() else value
    if "NodeName" not in fields or "CPUs" not in fields:
        raise SlurmConfError(f"slurmd -C printed no NodeName/CPUs line: {output!r}")
    return fields


def version_tuple(version):
    """'22.05.8' -> (22, 5, 8); unknown parts are 0."""
    numbers = [int(p) for p in re.findall(r"\d+", str(version or ""))[:3]]
    return tuple(numbers + [0] * (3 - len(numbers)))


def normalize_config(config, slurm_version):
    """Adapt settings written for older Slurm to the installed one; return (config, warnings).

    select/cons_res was removed in Slurm 23.11 (slurmctld refuses to start); galaxyproject.slurm's
    and the GTN tutorial's variables still use it, so it becomes select/cons_tres with a warning.
    """
    config = dict(config)
    warnings = []
    if version_tuple(slurm_version) >= (20, 2, 0) and "FastSchedule" in config:
        # Older GTN tutorials set FastSchedule: 2 ("ignore errors if the host has cores != CPUs");
        # Slurm 20.02 removed it and slurmctld refuses it. SlurmdParameters=config_overrides is the successor.
        fast = str(config.pop("FastSchedule")).strip()
        if fast == "2" and "SlurmdParameters" not in config:
            config["SlurmdParameters"] = "config_overrides"
        warnings.append(
            f"slurm_config.FastSchedule was removed in Slurm 20.02; left out on Slurm {slurm_version}"
            + (" (SlurmdParameters=config_overrides does what FastSchedule=2 did)" if fast == "2" else "")
        )
    if version_tuple(slurm_version) >= (23, 11, 0):
        if str(config.get("SelectType", "")).strip() == "select/cons_res":
            config["SelectType"] = "select/cons_tres"
            warnings.append(
                "slurm_config.SelectType: select/cons_res was removed in Slurm 23.11; "
                f"using select/cons_tres on Slurm {slurm_version}"
            )
        if "CryptoType" in config:
            config.pop("CryptoType")
            warnings.append(f"slurm_config.CryptoType was removed in Slurm 23.11; left out on Slurm {slurm_version}")
    return config, warnings
