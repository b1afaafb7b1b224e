# Copyright: gxhpc.cluster contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What playbooks/site.yml does on each host, and the summary it prints: decided once, here.

``plan`` reads a host's variables the way the tutorial's table says (docs/tutorial.md, step 7); the DRMAA
question is answered by job_conf.summarize, the same function gxhpc.cluster.galaxy_job_conf uses, so the
playbook and the module cannot disagree about which runners load libdrmaa.
"""

from ansible_collections.gxhpc.cluster.plugins.module_utils import job_conf

# The parts of the stack after Slurm, in the order site.yml runs them.
PARTS = ("galaxy_jobs", "slurm_drmaa", "galaxy_real_user", "check_cluster")
_TRUE = ("true", "yes", "on", "1")
_FALSE = ("false", "no", "off", "0")


class SitePlanError(Exception):
    """A site.yml switch that is not a boolean."""


def _switch(variables, name, default):
    """``variables[name]`` as a boolean (Ansible's ``| bool`` rules), ``default`` when it is not set."""
    if name not in variables or variables[name] is None:
        return default
    value = variables[name]
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise SitePlanError(f"{name}: {value!r} is not a boolean; accepted: true or false")


def plan(variables, group_names):
    """``{part: bool}`` for one host, from its variables (hostvars) and its groups."""
    variables = variables or {}
    conf = variables.get("galaxy_jobs_conf")
    galaxy_jobs = _switch(variables, "gxhpc_galaxy_jobs", "galaxyservers" in group_names and conf is not None)
    drmaa_runners = job_conf.summarize(conf)["drmaa_runners"] if isinstance(conf, dict) else []
    slurm_drmaa = _switch(variables, "gxhpc_slurm_drmaa", galaxy_jobs and bool(drmaa_runners))
    real_user = _switch(variables, "gxhpc_galaxy_real_user", False)
    check = _switch(variables, "gxhpc_check_cluster", galaxy_jobs or real_user)
    return dict(zip(PARTS, (galaxy_jobs, slurm_drmaa, real_user, check)))


def _ran(result):
    return isinstance(result, dict) and not result.get("skipped")


def summary_lines(plan_, sinfo=None, drmaa=None, drmaa_library_path=None, job_conf_file=None, check_report=None):
    """The lines of site.yml's last task: what ran on this host, and nothing about parts that did not."""
    plan_ = plan_ or {}
    lines = []
    if _ran(sinfo):
        if sinfo.get("rc", 1) == 0:
            lines.append("Slurm nodes (sinfo on this controller):")
            lines.extend("  " + line for line in sinfo.get("stdout_lines") or [])
        else:
            why = (sinfo.get("stderr") or sinfo.get("msg") or "").strip()
            lines.append(f"Slurm nodes: sinfo failed: {why}")
    if _ran(drmaa):
        if drmaa.get("drmaa_implementation") is not None:
            lines.append(
                f"DRMAA library: {drmaa.get('path')} ({drmaa['drmaa_implementation']}, DRM {drmaa.get('drm_system')}, "
                f"linked against {drmaa.get('libslurm')})"
            )
        else:
            lines.append(f"DRMAA library: {drmaa_library_path} does not load: {drmaa.get('msg', '')}")
    if job_conf_file:
        lines.append(f"Galaxy job conf: {job_conf_file}")
    if plan_.get("galaxy_real_user"):
        lines.append("Jobs run as the real user (docs/real_user.md)")
    if plan_.get("check_cluster"):
        # The run ends on a failed check unless cluster_check_fail is false: failures here are report-only.
        if not isinstance(check_report, dict):
            lines.append("Readiness check: did not run")
        elif not check_report.get("failures"):
            warnings = len(check_report.get("warnings_found") or [])
            lines.append("Readiness check: passed" + (f" with {warnings} warning(s)" if warnings else ""))
        else:
            lines.append(f"Readiness check: {len(check_report['failures'])} failure(s) (cluster_check_fail is false):")
            lines.extend("  " + line for line in check_report.get("failure_lines") or [])
    return lines
