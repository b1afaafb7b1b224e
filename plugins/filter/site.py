# Copyright: gxhpc.cluster contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters for playbooks/site.yml: what runs on each host, and the summary of what ran."""

DOCUMENTATION = r"""
---
name: site
short_description: What gxhpc.cluster.site does on each host
version_added: 0.1.0
description:
  - C(site_plan(hostvars, group_names)) - which parts of the stack run on a host
    (C(galaxy_jobs), C(slurm_drmaa), C(galaxy_real_user), C(check_cluster), each true or false), from
    C(galaxy_jobs_conf), the C(galaxyservers) group and the switches C(gxhpc_galaxy_jobs),
    C(gxhpc_slurm_drmaa), C(gxhpc_galaxy_real_user) and C(gxhpc_check_cluster). slurm-drmaa is wanted
    where the job conf has an enabled runner that loads libdrmaa, as gxhpc.cluster.galaxy_job_conf counts them.
  - C(site_summary(plan, sinfo, drmaa, drmaa_library_path, job_conf_file, check_report)) - the summary lines.
author:
  - gxhpc.cluster contributors (@gxhpc)
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.gxhpc.cluster.plugins.module_utils import site_plan


def _site_plan(variables, group_names):
    try:
        return site_plan.plan(variables, group_names)
    except site_plan.SitePlanError as exc:
        raise AnsibleFilterError(str(exc)) from exc


class FilterModule:
    def filters(self):
        return {"site_plan": _site_plan, "site_summary": site_plan.summary_lines}
