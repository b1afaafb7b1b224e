# Copyright: gxhpc.cluster contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""TPV (total-perspective-vortex) destinations sized from the Slurm cluster this collection built.

:func:`tpv_destinations` turns the slurm role's published fact ``slurm_cluster_resources`` (see
:func:`slurm_cluster.cluster_resources`) into the ``destinations`` section of a TPV config file: one destination
per partition whose ``max_accepted_cores``/``max_accepted_mem`` are the partition's largest node, so that TPV
refuses at routing ("No destinations are available to fulfill request") a tool asking for more than any node
has, instead of a job pending forever in Slurm; ``max_cores``/``max_mem`` clamp a tool's default the same way,
and ``native_specification`` asks Slurm for what TPV decided (``--cpus-per-task={cores}``, ``--mem`` in MB,
``--partition``). TPV's memory unit is the GB (a float); Slurm's ``--mem`` without suffix is MB.
Pure Python, no Ansible imports.
"""

import re

TPV_REQUIREMENT = "total-perspective-vortex==3.3.0"
NAME_RE = re.compile(r"^[A-Za-z0-9_.-]+$")
# TPV evaluates params as f-strings with the job's cores and mem (GB) in scope; the braces are TPV's, so the
# partition goes in with %, not with an f-string or str.format.
NATIVE_SPECIFICATION = "--nodes=1 --ntasks=1 --cpus-per-task={cores} --mem={int(mem * 1024)} --partition=%s"


class TPVDestinationsError(ValueError):
    """The cluster fact cannot make destinations; the message says which field and why."""


def _gb(memory_mb):
    """MB to TPV's GB, rounded down to 0.01 GB so a job never asks Slurm for more than the node has."""
    return int(memory_mb * 100 / 1024) / 100.0


def tpv_destinations(resources, runner="slurm", prefix="slurm_", partitions=None, extra_params=None, scheduling=None):
    """A TPV config mapping ``{'destinations': {...}}`` for the partitions in ``resources``.

    ``resources``: the ``slurm_cluster_resources`` fact; ``runner``: the job conf runner id of the Slurm (drmaa)
    runner; ``prefix``: destination ids are ``<prefix><partition>``; ``partitions``: only these (default all);
    ``extra_params``: more params for every destination (they may not set native_specification);
    ``scheduling``: a TPV scheduling block (require/prefer/accept/reject tags) given to every destination.
    """
    if not isinstance(resources, dict) or not isinstance(resources.get("partitions"), list):
        raise TPVDestinationsError(
            "resources must be the slurm role's slurm_cluster_resources fact ({nodes: [...], partitions: [...]}), "
            f"got {resources!r}"
        )
    if not isinstance(runner, str) or not runner:
        raise TPVDestinationsError(f"runner must be the id of the job conf's Slurm runner, got {runner!r}")
    extra_params = dict(extra_params or {})
    for key in ("native_specification", "nativeSpecification"):
        if key in extra_params:
            raise TPVDestinationsError(
                f"extra_params.{key}: is made from the cluster's sizes here; add options through the "
                "destination's own TPV file instead"
            )
    known = [p.get("name") for p in resources["partitions"]]
    wanted = known if partitions is None else list(partitions)
    unknown = [p for p in wanted if p not in known]
    if unknown:
        raise TPVDestinationsError(
            f"partitions: {', '.join(map(str, unknown))} not in the cluster (partitions: {', '.join(map(str, known))})"
        )
    destinations = {}
    for partition in resources["partitions"]:
        name = partition.get("name")
        if name not in wanted:
            continue
        if not isinstance(name, str) or not NAME_RE.match(name):
            raise TPVDestinationsError(f"partition name {name!r} cannot be a TPV destination id")
        cpus, memory = partition.get("max_cpus"), partition.get("max_memory_mb")
        if not isinstance(cpus, int) or cpus < 1 or not isinstance(memory, int) or memory < 1:
            raise TPVDestinationsError(
                f"partition {name}: the cluster fact has no CPUs/memory for its nodes (max_cpus={cpus!r}, "
                f"max_memory_mb={memory!r}); give its slurm_nodes entries CPUs and RealMemory"
            )
        mem = _gb(memory)
        params = dict(extra_params)
        params["native_specification"] = NATIVE_SPECIFICATION % name
        destination = {
            "runner": runner,
            "max_accepted_cores": cpus,
            "max_accepted_mem": mem,
            "max_cores": cpus,
            "max_mem": mem,
            "params": params,
        }
        if scheduling:
            destination["scheduling"] = scheduling
        destinations[f"{prefix}{name}"] = destination
    if not destinations:
        raise TPVDestinationsError("no partition to make a destination of")
    return {"destinations": destinations}
