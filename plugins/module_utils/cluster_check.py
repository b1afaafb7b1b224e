# Copyright: gxhpc.cluster contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Cluster readiness, the evaluating half: how all hosts' reports become named failures.

Galaxy's cluster documentation lists the pitfalls that break a deployment one failed job at a
time: paths not shared at the same absolute path, NFS attribute caching, users whose uid differs
between hosts or who have no login shell, a different Python on the nodes, a Galaxy host that
cannot submit, and (for Slurm itself) MUNGE keys, slurm.conf and clocks that disagree. What each
host reports comes from module_utils/cluster_gather.py; this file is pure and runs once over all
hosts' reports (module cluster_check_report), one function per group of checks.
"""

import os

from ansible_collections.gxhpc.cluster.plugins.module_utils.cluster_gather import NFS_TYPES

# Every failure the check can report: name -> (what went wrong, how to fix it). The names are
# stable: docs/troubleshooting.md has one entry per name.
FAILURES = {
    "shared_path_missing": (
        "a path Galaxy's jobs need does not exist",
        "Mount the shared filesystem on {host} so that {path} exists at the same absolute path as on the Galaxy "
        "server (or correct cluster_check_paths if {path} is not where Galaxy keeps {label}).",
    ),
    "shared_path_not_shared": (
        "a job on the node does not see the file the Galaxy server wrote",
        "{path} on {host} is a different filesystem from the Galaxy server's {path}: mount the same export there "
        "(a directory that exists locally on the node hides a missing mount), then run the check again.",
    ),
    "shared_path_probe_failed": (
        "the Galaxy server could not write its probe file",
        "Make {path} writable by the Galaxy user (or root) on {host}; the check writes one small file there and "
        "removes it again.",
    ),
    "node_job_failed": (
        "a job pinned to the node did not run",
        "Look at `sinfo -N -n {node}` and `scontrol show node {node}`, the slurmd log on {host} and MUNGE there; "
        "the check's job must be able to start on {node} within cluster_check_job_wait seconds.",
    ),
    "nfs_attribute_caching": (
        "NFS caches file attributes, so Galaxy can miss job outputs",
        "Mount {path} with `noac` (or `actimeo=0`) on {host}, or let Galaxy wait for outputs with "
        "`retry_job_output_collection` (e.g. 3) in galaxy.yml.",
    ),
    "user_missing": (
        "a user jobs run as does not exist",
        "Create {user} on {host} with the same uid and gid as on the Galaxy server (use the same directory "
        "service, e.g. LDAP/SSSD, or fixed ids).",
    ),
    "uid_mismatch": (
        "a user's uid or gid differs from the Galaxy server's",
        "Give {user} the same uid and gid on {host} as on the Galaxy server ({expected}); files on the shared "
        "filesystem are owned by numbers, not names.",
    ),
    "login_shell": (
        "a user jobs run as has no real login shell",
        "Give {user} a real login shell on {host} (e.g. `usermod -s /bin/bash {user}`); Slurm runs batch scripts "
        "through it and /bin/false or nologin make every job fail.",
    ),
    "python_mismatch": (
        "Python's major.minor differs from the Galaxy server's",
        "Install Python {expected} on {host} (Galaxy's virtualenv on the shared filesystem was built for it and "
        "jobs run its tools, metadata setting among them, on the node).",
    ),
    "submit_failed": (
        "the Galaxy host cannot submit jobs",
        "Make {host} a Slurm submit host (slurm_roles: ['submit'] with the cluster's slurm.conf and MUNGE key) and "
        "check that {user} may submit: `runuser -u {user} -- sbatch --test-only --wrap true`.",
    ),
    "munge_key_mismatch": (
        "the MUNGE key differs from the reference host's",
        "Copy the MUNGE key of {expected} to {host} (gxhpc.cluster.munge distributes one key) and restart munge "
        "there; never copy the key through a place others can read.",
    ),
    "slurm_conf_mismatch": (
        "slurm.conf differs from the reference host's",
        "Run the collection's slurm playbook for all hosts (or copy slurm.conf from {expected}), then "
        "`scontrol reconfigure`; a configless node (slurm.conf fetched from slurmctld) gets the controller's "
        "with `scontrol reconfigure` on the controller.",
    ),
    "clock_skew": (
        "the clock is off by more than MUNGE tolerates",
        "Run a time service (chrony or systemd-timesyncd) on every host; MUNGE rejects credentials from clocks "
        "more than {expected} seconds apart.",
    ),
    # Pulsar: no shared filesystem, the network instead (module cluster_pulsar_probe, from both sides).
    "pulsar_unreachable": (
        "the Galaxy server cannot reach a Pulsar destination's URL",
        "Check from {host} that {url} is Pulsar's address (the destination's url), that Pulsar runs there "
        "(`systemctl status pulsar` on the Pulsar host) and that no firewall between them drops the port.",
    ),
    "pulsar_token_refused": (
        "Pulsar refuses the destination's private_token",
        "Give the destination ({url}) the private_token of Pulsar's app.yml (pulsar_private_token of "
        "gxhpc.cluster.pulsar), then restart Galaxy's handlers; Pulsar answers every request with 401 until then.",
    ),
    "broker_unreachable": (
        "the AMQP broker between Galaxy and Pulsar does not answer",
        "Check from {host} that the broker of {url} runs (`systemctl status rabbitmq-server`) and listens on an "
        "address {host} reaches, and that no firewall drops the port (5672, or 5671 for amqps).",
    ),
    "broker_login_refused": (
        "the AMQP broker refuses the URL's user, password or virtual host",
        "Create the broker account and virtual host of {url} with the permissions Pulsar needs (`rabbitmqctl "
        "add_user`, `add_vhost`, `set_permissions -p <vhost> <user> '.*' '.*' '.*'`), or correct the amqp_url "
        "(galaxy_jobs_conf) or pulsar_message_queue_url on {host}.",
    ),
    "galaxy_unreachable_from_pulsar": (
        "the Pulsar host cannot reach the Galaxy URL that Pulsar stages files through",
        "Make {url} reachable from {host} (the runner's galaxy_url must be the address at which the cluster reaches "
        "Galaxy, not localhost), and check that Galaxy answers /api/version there.",
    ),
}

# What a cluster_pulsar_probe state means for each kind of target.
PULSAR_FAILURES = {
    ("pulsar", "unreachable"): "pulsar_unreachable",
    ("pulsar", "error"): "pulsar_unreachable",
    ("pulsar", "refused"): "pulsar_token_refused",
    ("broker", "unreachable"): "broker_unreachable",
    ("broker", "error"): "broker_unreachable",
    ("broker", "refused"): "broker_login_refused",
    ("broker", "vhost"): "broker_login_refused",
}

# Shells that mean "no login": Slurm execs the job script through the user's shell.
NOLOGIN_SHELLS = frozenset(("nologin", "false", "true", "sync", "halt", "shutdown"))


class ClusterCheckError(Exception):
    """Bad input to the evaluation: the message names the parameter and what is accepted."""


# Fixes that differ when the host is a Galaxy server itself: there is nothing to mount from there (one
# host may be the whole cluster), so the directory is missing or cluster_check_paths names the wrong one.
GALAXY_SERVER_FIXES = {
    "shared_path_missing": "Create {path} on {host}, the Galaxy server (Galaxy keeps {label} there), or correct "
    "cluster_check_paths if your galaxy.yml keeps {label} elsewhere.",
}


def failure(name, host, detail, on_galaxy_server=False, **values):
    """A named failure with its fix, the fix filled in from ``values``."""
    if name not in FAILURES:
        raise ClusterCheckError(f"unknown failure name {name!r}")
    summary, fix = FAILURES[name]
    if on_galaxy_server:
        fix = GALAXY_SERVER_FIXES.get(name, fix)
    fields = {"host": host, "path": "", "label": "", "user": "", "node": host, "expected": "", "url": ""}
    fields.update(values)
    return {"name": name, "host": host, "summary": summary, "detail": detail, "fix": fix.format(**fields)}


def _require(mapping, key, what):
    if not isinstance(mapping, dict) or key not in mapping:
        raise ClusterCheckError(f"{what}: missing {key!r}")
    return mapping[key]


def _majority(values):
    counts = {}
    for value in values:
        counts[value] = counts.get(value, 0) + 1
    return max(counts, key=lambda v: counts[v]) if counts else None


class _Evaluation:
    """What every check group reads (the hosts and their roles) and adds to (rows, failures, warnings)."""

    def __init__(self, hosts):
        self.hosts = hosts
        self.rows = {name: [] for name in hosts}
        self.failures = []
        self.warnings = []
        self.galaxy_hosts = [h for h, r in hosts.items() if "galaxy" in r.get("roles", ())]
        self.exec_hosts = [h for h, r in hosts.items() if "exec" in r.get("roles", ())]
        # Paths, users and Python are compared between a Galaxy server that shares its filesystem with the
        # cluster and the nodes; with Galaxy servers that send jobs only to Pulsar there is nothing to compare.
        self.job_hosts = [h for h in hosts if h in self.galaxy_hosts or h in self.exec_hosts]
        if not self.galaxy_hosts:
            self.job_hosts = []
        self.reference_galaxy = self.galaxy_hosts[0] if self.galaxy_hosts else None
        # A Galaxy server that only talks to Pulsar has no MUNGE key or slurm.conf to compare.
        self.cluster_hosts = [h for h, r in hosts.items() if list(r.get("roles") or ()) != ["pulsar_galaxy"]]

    def facts(self, host):
        return self.hosts[host].get("facts") or {}


def evaluate(hosts, probes, settings, pulsar_probes=None):
    """Turn every host's facts and the Slurm probe jobs into rows per host, failures and warnings.

    hosts: {inventory name: {"roles": [galaxy|pulsar_galaxy|exec|pulsar|controller|...], "facts": cluster_facts
      result}}
    probes: {galaxy host: cluster_job_probe result}
    pulsar_probes: {host: cluster_pulsar_probe result}, from Galaxy servers and Pulsar hosts
    settings: paths [{name, path}], users [names], galaxy_user, reference_host, clock_window,
      clock_tolerance, nfs_attribute_caching ("warn" | "fail" | "ignore").
    """
    if not isinstance(hosts, dict) or not hosts:
        raise ClusterCheckError("hosts: expected a mapping of inventory names to their reports, got none")
    paths = _require(settings, "paths", "settings")
    users = list(settings.get("users") or [])
    galaxy_user = _require(settings, "galaxy_user", "settings")
    if galaxy_user not in users:
        users.insert(0, galaxy_user)
    tolerance = float(settings.get("clock_tolerance", 300))
    window = float(settings.get("clock_window", 0))
    nfs_mode = settings.get("nfs_attribute_caching", "warn")
    if nfs_mode not in ("warn", "fail", "ignore"):
        raise ClusterCheckError(f"nfs_attribute_caching: {nfs_mode!r}; accepted: warn, fail, ignore")

    # A host of the play with neither a Slurm role nor Galaxy (a spare in the inventory) is no part of
    # the cluster: it has no MUNGE key or slurm.conf to compare, and is only listed.
    outside = sorted(h for h, r in hosts.items() if not (r or {}).get("roles"))
    if len(outside) == len(hosts):
        outside = []
    ev = _Evaluation({h: r for h, r in hosts.items() if h not in outside})
    missing, path_rows = _check_paths(ev, paths, nfs_mode)
    _check_probes(ev, probes, paths, missing, path_rows)
    _check_users(ev, users)
    _check_python(ev)
    _check_submit(ev, probes)
    _check_hashes(ev, settings)
    _check_clocks(ev, tolerance, window)
    _check_pulsar(ev, pulsar_probes)
    rows = dict(ev.rows)
    for host in outside:
        rows[host] = [("cluster", "skip", "no Slurm or Galaxy role: not checked")]
    return {"rows": rows, "failures": ev.failures, "warnings": ev.warnings}


def _check_paths(ev, paths, nfs_mode):
    """Every path exists on every host that runs jobs; NFS attribute caching.

    Returns what is missing, and the index of each path's row, which the probe jobs complete.
    """
    rows, failures, warnings, facts = ev.rows, ev.failures, ev.warnings, ev.facts
    galaxy_hosts = ev.galaxy_hosts
    job_hosts = ev.job_hosts
    # Paths: exist everywhere, NFS caching, and (below, through jobs) the same filesystem. A path's row
    # is completed by what the jobs saw.
    path_rows = {}
    missing = set()
    for host in job_hosts:
        host_paths = facts(host).get("paths", {})
        for entry in paths:
            label, path = entry["name"], entry["path"]
            info = host_paths.get(path, {"exists": False})
            if not info.get("exists"):
                missing.add((host, path))
                rows[host].append(("path " + label, "FAIL", f"{path}: {info.get('error', 'missing')}"))
                failures.append(
                    failure(
                        "shared_path_missing",
                        host,
                        f"{path} ({label}) does not exist on {host}",
                        on_galaxy_server=host in galaxy_hosts,
                        path=path,
                        label=label,
                    )
                )
                continue
            where = f"{path} {info.get('fstype', '?')} {info.get('source', '?')}"
            if info.get("fstype") in NFS_TYPES:
                where += " (" + ",".join(info.get("mount_options", [])) + ")"
            status = "ok"
            if info.get("attribute_caching") and nfs_mode != "ignore":
                item = failure(
                    "nfs_attribute_caching",
                    host,
                    f"{path} ({label}) is NFS with attribute caching on {host}",
                    path=path,
                )
                if nfs_mode == "fail":
                    failures.append(item)
                    status = "FAIL"
                else:
                    warnings.append(item)
                    status = "WARN"
            path_rows[(host, path)] = len(rows[host])
            rows[host].append(("path " + label, status, where))
    return missing, path_rows


def _check_probes(ev, probes, paths, missing, path_rows):
    """The probe file written on each Galaxy host is read by a Slurm job on each exec node: the same filesystem."""
    rows, failures, facts = ev.rows, ev.failures, ev.facts
    exec_hosts = ev.exec_hosts
    # Through Slurm jobs: the probe file written on each Galaxy host is read on each exec node.
    node_of = {h: facts(h).get("node_name") or h for h in exec_hosts}
    for galaxy_host, probe in (probes or {}).items():
        if not probe:
            continue
        probe_name = probe.get("probe_name", "")
        for path, error in (probe.get("write_errors") or {}).items():
            if (galaxy_host, path) in missing:
                continue  # named once already, as missing on this Galaxy server
            label = _label(paths, path)
            failures.append(
                failure(
                    "shared_path_probe_failed",
                    galaxy_host,
                    f"could not write {path}/{probe_name}: {error}",
                    path=path,
                    label=label,
                )
            )
            if galaxy_host in rows:
                rows[galaxy_host].append(("probe " + label, "FAIL", error))
        jobs = probe.get("nodes") or {}
        for host in exec_hosts:
            node = node_of[host]
            job = jobs.get(node)
            if job is None:
                continue
            if job.get("rc") != 0 or not job.get("paths"):
                reason = (job.get("stderr") or job.get("stdout") or f"exit status {job.get('rc')}").strip()
                reason = reason.splitlines()[-1] if reason else f"exit status {job.get('rc')}"
                rows[host].append((f"job from {galaxy_host}", "FAIL", reason))
                failures.append(
                    failure(
                        "node_job_failed",
                        host,
                        f"a job from {galaxy_host} pinned to {node} failed: {reason}",
                        node=node,
                    )
                )
                continue
            landed = job.get("host")
            rows[host].append((f"job from {galaxy_host}", "ok", f"ran on {landed} as uid {job.get('uid')}"))
            for entry in paths:
                label, path = entry["name"], entry["path"]
                # Not written, or already named as missing on the node: nothing more to say.
                if path in (probe.get("write_errors") or {}) or (host, path) in missing:
                    continue
                seen = job["paths"].get(path, {"state": "nodir", "value": ""})
                shared = seen["state"] == "read" and seen["value"] == probe.get("nonce")
                index = path_rows.get((host, path))
                if index is not None:
                    check, status, where = rows[host][index]
                    note = f"shared with {galaxy_host}" if shared else f"NOT shared with {galaxy_host}"
                    rows[host][index] = (check, status if shared else "FAIL", f"{where}; {note}")
                if shared:
                    continue
                why = {
                    "absent": f"{path} exists for the job but {galaxy_host}'s probe file is not there",
                    "nodir": f"{path} does not exist for the job",
                    "read": f"{path}/{probe_name} has other content for the job",
                }.get(seen["state"], f"{path}: {seen['state']}")
                if index is None:
                    rows[host].append(("path " + label, "FAIL", why))
                failures.append(
                    failure("shared_path_not_shared", host, f"{label}: {why} on {node}", path=path, label=label)
                )


def _check_users(ev, users):
    """Users have the same uid and gid as on the Galaxy server, and a login shell, everywhere jobs run."""
    rows, failures, facts = ev.rows, ev.failures, ev.facts
    job_hosts = ev.job_hosts
    reference_galaxy = ev.reference_galaxy
    # Users: same uid/gid as on the Galaxy server, a real login shell, everywhere jobs run.
    for user in users:
        reference = None
        if reference_galaxy:
            ref = facts(reference_galaxy).get("users", {}).get(user, {})
            if ref.get("exists"):
                reference = (ref["uid"], ref["gid"])
        if reference is None:
            present = [facts(h).get("users", {}).get(user, {}) for h in job_hosts]
            reference = _majority([(u["uid"], u["gid"]) for u in present if u.get("exists")])
        for host in job_hosts:
            info = facts(host).get("users", {}).get(user, {"exists": False})
            if not info.get("exists"):
                rows[host].append(("user " + user, "FAIL", "missing"))
                failures.append(failure("user_missing", host, f"user {user} does not exist on {host}", user=user))
                continue
            problems = []
            if reference and (info["uid"], info["gid"]) != tuple(reference):
                expected = f"uid {reference[0]}, gid {reference[1]}"
                problems.append(f"uid {info['uid']} gid {info['gid']} (expected {expected})")
                failures.append(
                    failure(
                        "uid_mismatch",
                        host,
                        f"{user} has uid {info['uid']} gid {info['gid']} on {host}, {expected} on "
                        f"{reference_galaxy or 'most hosts'}",
                        user=user,
                        expected=expected,
                    )
                )
            shell = info.get("shell") or ""
            if os.path.basename(shell) in NOLOGIN_SHELLS or not info.get("shell_executable"):
                problems.append(f"shell {shell or '(none)'} is not a login shell")
                failures.append(
                    failure("login_shell", host, f"{user}'s shell on {host} is {shell or '(none)'}", user=user)
                )
            detail = f"uid {info['uid']} gid {info['gid']} shell {shell}"
            rows[host].append(("user " + user, "FAIL" if problems else "ok", "; ".join(problems) or detail))


def _check_python(ev):
    """The nodes run the Python major.minor that the Galaxy server's virtualenv was built with."""
    rows, failures, facts = ev.rows, ev.failures, ev.facts
    job_hosts = ev.job_hosts
    reference_galaxy = ev.reference_galaxy
    # Python: the nodes run what the Galaxy server's virtualenv was built with.
    if reference_galaxy:
        expected = facts(reference_galaxy).get("python", {}).get("version")
        for host in job_hosts:
            info = facts(host).get("python", {})
            version = info.get("version")
            label = "python " + info.get("command", "")
            if expected and version != expected:
                rows[host].append(
                    (label.strip(), "FAIL", f"{version or info.get('error', 'none')} (server {expected})")
                )
                failures.append(
                    failure(
                        "python_mismatch",
                        host,
                        f"{info.get('command', 'python')} is {version or 'missing'} on {host}, {expected} on "
                        f"{reference_galaxy}",
                        expected=expected,
                    )
                )
            else:
                rows[host].append((label.strip(), "ok", version or "unknown"))


def _check_submit(ev, probes):
    """Each Galaxy host can submit (sbatch --test-only) as the Galaxy user and the listed real users."""
    rows, failures = ev.rows, ev.failures
    # Submitting: sbatch --test-only as the Galaxy user (and the listed real users).
    for galaxy_host, probe in (probes or {}).items():
        for user, result in ((probe or {}).get("submit") or {}).items():
            if result.get("rc") == 0:
                rows[galaxy_host].append(("submit as " + user, "ok", (result.get("output") or "").strip()[:70]))
                continue
            reason = (result.get("output") or f"exit status {result.get('rc')}").strip().splitlines()
            reason = reason[-1] if reason else f"exit status {result.get('rc')}"
            rows[galaxy_host].append(("submit as " + user, "FAIL", reason))
            failures.append(
                failure("submit_failed", galaxy_host, f"sbatch --test-only as {user} failed: {reason}", user=user)
            )


def _check_hashes(ev, settings):
    """The MUNGE key and slurm.conf are the same bytes on every host (hashes only)."""
    rows, failures, facts = ev.rows, ev.failures, ev.facts
    hosts = ev.cluster_hosts
    reference_galaxy = ev.reference_galaxy
    # MUNGE key and slurm.conf: the same bytes on every host. Hashes only; the key is never read back.
    reference_host = settings.get("reference_host") or reference_galaxy or sorted(hosts)[0]
    for key, label, name in (
        ("munge_key", "munge.key", "munge_key_mismatch"),
        ("slurm_conf", "slurm.conf", "slurm_conf_mismatch"),
    ):
        expected = facts(reference_host).get("hashes", {}).get(key) if reference_host in hosts else None
        if expected is None:
            expected = _majority(
                [facts(h).get("hashes", {}).get(key) for h in hosts if facts(h).get("hashes", {}).get(key)]
            )
        for host in hosts:
            digest = facts(host).get("hashes", {}).get(key)
            if digest is not None and digest == expected:
                shown = "same as " + reference_host if key == "munge_key" else f"sha256 {digest[:12]}, same"
                if key == "slurm_conf" and facts(host).get("slurm_conf_source") == "configless":
                    shown += " (configless: fetched from slurmctld)"
                rows[host].append((label, "ok", shown))
                continue
            what = "missing or unreadable" if digest is None else f"differs from {reference_host}'s"
            rows[host].append((label, "FAIL", what))
            failures.append(failure(name, host, f"{label} on {host} {what}", expected=reference_host))


def _check_clocks(ev, tolerance, window):
    """Every clock is within the tolerance of the median, beyond the gathering window."""
    rows, failures, facts = ev.rows, ev.failures, ev.facts
    hosts = ev.cluster_hosts
    # Clocks: each host's time when it answered, all within one gathering window of the controller.
    clocks = {h: facts(h).get("clock") for h in hosts if facts(h).get("clock") is not None}
    if clocks:
        middle = sorted(clocks.values())[len(clocks) // 2]
        for host in hosts:
            if host not in clocks:
                continue
            offset = clocks[host] - middle
            # The hosts answered within `window` seconds of each other: only what exceeds it is skew.
            if abs(offset) - window > tolerance:
                rows[host].append(("clock", "FAIL", f"{offset:+.1f} s from the median"))
                failures.append(
                    failure(
                        "clock_skew",
                        host,
                        f"the clock on {host} is {offset:+.0f} s off the others",
                        expected=f"{tolerance:.0f}",
                    )
                )
            else:
                rows[host].append(("clock", "ok", f"{offset:+.1f} s from the median (window {window:.1f} s)"))


def _check_pulsar(ev, pulsar_probes):
    """From a Galaxy server that sends jobs to Pulsar: Pulsar's URL answers and takes the token, the broker takes
    the credentials; from a Pulsar host: the broker likewise, and the Galaxy URL that Pulsar stages files through."""
    rows, failures = ev.rows, ev.failures
    for host, probe in (pulsar_probes or {}).items():
        if host not in rows:
            continue
        for key, result in ((probe or {}).get("probes") or {}).items():
            kind, state = result.get("kind", ""), result.get("state", "error")
            if state == "ok":
                rows[host].append((key, "ok", result.get("detail", "")))
                continue
            rows[host].append((key, "FAIL", result.get("detail", state)))
            name = PULSAR_FAILURES.get((kind, state), "galaxy_unreachable_from_pulsar" if kind == "galaxy" else None)
            if name is None:
                raise ClusterCheckError(f"pulsar_probes: {host}: {key}: unknown kind {kind!r} or state {state!r}")
            failures.append(failure(name, host, result.get("detail", state), url=result.get("url", "")))
    for host, report in ev.hosts.items():
        if list(report.get("roles") or ()) == ["pulsar_galaxy"]:
            rows[host].insert(0, ("filesystem", "skip", "jobs go to Pulsar only: no shared filesystem to compare"))


def _label(paths, path):
    for entry in paths:
        if entry["path"] == path:
            return entry["name"]
    return path


def render_table(host, roles, rows):
    """One host's summary as text lines: a header, then CHECK / RESULT / DETAIL columns."""
    width = max([len("CHECK")] + [len(r[0]) for r in rows])
    lines = [f"{host} ({', '.join(roles) or 'no role'})", f"{'CHECK':<{width}}  RESULT  DETAIL"]
    lines.extend(f"{check:<{width}}  {status:<6}  {detail}" for check, status, detail in rows)
    return lines


def failure_lines(items):
    """Named failures as lines: NAME on HOST: detail. Fix: ..."""
    return [f"{i['name']} on {i['host']}: {i['detail']}. Fix: {i['fix']}" for i in items]
