# Copyright: gxhpc.cluster contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The cluster_check role's plan: what is wrong with its variables and the play, and each host's part in the check.

Read by the role's preflight (through the ``cluster_check_plan`` filter): one set_fact, one assert of ``problems``;
gather, probe and report read the plan and never re-derive it. argument_specs check types; the rules here are
those across variables and the hosts of the play.

``facts`` is what preflight knows about the play::

    inventory_hostname      this host
    slurm_roles             {host: its slurm_roles} for every host of the play, in the play's order
    group_names             {host: its inventory groups} for the same hosts
    slurm_controller_host   the Slurm controller's inventory name ('' when unset)
"""

import json

from ansible_collections.gxhpc.cluster.plugins.module_utils.job_conf import pulsar_destinations, uses_shared_filesystem
from ansible_collections.gxhpc.cluster.plugins.module_utils.slurm_cluster import host_roles
from ansible_collections.gxhpc.cluster.plugins.module_utils.slurm_conf import SlurmConfError


def _paths_problems(paths):
    accepted = (
        isinstance(paths, list)
        and all(isinstance(entry, dict) for entry in paths)
        and all("name" in entry and "path" in entry for entry in paths)
        and all(str(entry["path"]).startswith("/") for entry in paths)
    )
    if accepted:
        return []
    return [
        f"cluster_check_paths: {json.dumps(paths)} is not accepted; give a list of mappings, each with a name and an "
        "absolute path, e.g. [{name: job_working_directory, path: /srv/galaxy/var/jobs_directory}]."
    ]


def _whole_seconds(value):
    try:
        return int(value) > 0
    except (TypeError, ValueError):
        return False


def _slurm_roles(slurm_roles, group_names):
    try:
        return host_roles(slurm_roles or [], group_names or []), None
    except SlurmConfError as exc:
        return [], str(exc)


def plan(settings, facts):
    """Return the cluster_check role's plan: ``problems`` (every one at once) and the values the phases read.

    ``slurm_roles`` (this host's Slurm roles), ``exec_hosts`` (cluster_check_exec_hosts, else the play's hosts with
    the exec role), ``reference`` (cluster_check_reference_host, else slurm_controller_host when it is in the play,
    else the play's first controller, else ''), ``roles`` (this host's part: galaxy, or pulsar_galaxy for a Galaxy
    server whose cluster_check_job_conf sends jobs only to Pulsar; exec; pulsar for cluster_check_pulsar_hosts; then
    its other Slurm roles) and ``pulsar_destinations`` (a Galaxy server's Pulsar destinations, with their tokens and
    broker URLs: the set_fact that keeps the plan is no_log).
    """
    me = facts.get("inventory_hostname")
    play = facts.get("slurm_roles") or {}
    groups = facts.get("group_names") or {}
    problems = _paths_problems(settings.get("cluster_check_paths"))
    tolerance, wait = settings.get("cluster_check_clock_tolerance"), settings.get("cluster_check_job_wait")
    if not (_whole_seconds(tolerance) and _whole_seconds(wait)):
        problems.append(
            f"cluster_check_clock_tolerance ({tolerance}) and cluster_check_job_wait ({wait}) must be whole numbers of "
            "seconds above 0."
        )
    roles_of = {}
    for host, slurm_roles in play.items():
        roles_of[host], error = _slurm_roles(slurm_roles, groups.get(host))
        if error and host == me:
            problems.append(error)
    exec_hosts = list(settings.get("cluster_check_exec_hosts") or []) or [
        host for host in play if "exec" in roles_of[host]
    ]
    controller = facts.get("slurm_controller_host") or ""
    reference = (
        settings.get("cluster_check_reference_host")
        or (controller if controller in play else "")
        or next((host for host in play if "controller" in roles_of[host]), "")
    )
    galaxy_hosts = list(settings.get("cluster_check_galaxy_hosts") or [])
    if not (set(galaxy_hosts) & set(play) and set(exec_hosts) & set(play)):
        problems.append(
            "The check needs a Galaxy server and at least one exec node in the play. Galaxy servers "
            f"(cluster_check_galaxy_hosts): {json.dumps(galaxy_hosts)}; exec nodes: {json.dumps(exec_hosts)}; "
            f"hosts in the play: {json.dumps(list(play))}. Put the Galaxy server in the galaxyservers group (or "
            "set cluster_check_galaxy_hosts), give exec nodes slurm_roles: ['exec'] (or set "
            "cluster_check_exec_hosts), and run the play on them."
        )
    mine = roles_of.get(me, [])
    # A Galaxy server whose job conf sends jobs only to Pulsar (and runs some locally) shares no filesystem with
    # the cluster: the check tests the network to Pulsar instead (role pulsar_galaxy), from both sides.
    job_conf = settings.get("cluster_check_job_conf") if me in galaxy_hosts else None
    destinations = pulsar_destinations(job_conf)
    galaxy_part = []
    if me in galaxy_hosts:
        galaxy_part = ["galaxy"] if uses_shared_filesystem(job_conf) else ["pulsar_galaxy"]
    pulsar_part = ["pulsar"] if me in list(settings.get("cluster_check_pulsar_hosts") or []) else []
    return {
        "problems": problems,
        "slurm_roles": mine,
        "exec_hosts": exec_hosts,
        "reference": reference,
        "roles": galaxy_part + (["exec"] if me in exec_hosts else []) + pulsar_part + [r for r in mine if r != "exec"],
        "pulsar_destinations": destinations,
    }
