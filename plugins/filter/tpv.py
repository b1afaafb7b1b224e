# Copyright: gxhpc.cluster contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""TPV destinations sized from the Slurm cluster (module_utils/job_conf_tpv.py)."""

DOCUMENTATION = r"""
---
name: tpv
short_description: TPV destinations sized from the cluster
version_added: 0.1.0
description:
  - C(tpv_destinations(slurm_cluster_resources, runner='slurm', prefix='slurm_', partitions=None,
    extra_params=None, scheduling=None)) - a TPV config mapping with one destination per Slurm partition;
    C(max_accepted_cores)/C(max_accepted_mem) and C(max_cores)/C(max_mem) are the partition's largest node as
    Slurm grants it (after the Galaxy reservation), and C(native_specification) asks Slurm for the job's cores
    (C(--cpus-per-task)), memory (C(--mem), MB) and partition.
author:
  - gxhpc.cluster contributors (@gxhpc)
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.gxhpc.cluster.plugins.module_utils import job_conf_tpv


def tpv_destinations(resources, runner="slurm", prefix="slurm_", partitions=None, extra_params=None, scheduling=None):
    try:
        return job_conf_tpv.tpv_destinations(resources, runner, prefix, partitions, extra_params, scheduling)
    except job_conf_tpv.TPVDestinationsError as exc:
        raise AnsibleFilterError(f"tpv_destinations: {exc}") from exc


class FilterModule:
    def filters(self):
        return {"tpv_destinations": tpv_destinations}
