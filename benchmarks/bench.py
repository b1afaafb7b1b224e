"""Converge and job-latency benchmark for gxhpc.cluster, on fresh containers.

Prints, and writes as Markdown and JSON, the medians over N runs of:
  1. first converge of the single-node stack (MUNGE + Slurm), and the apt floor for the same
     packages (`apt-get update` + `apt-get install`) on an identical fresh container; the ratio;
  2. an idempotent re-run, and a trivial playbook (facts + ping) as its floor; the ratio;
  3. converge of a controller with 1 and with 4 exec nodes; the ratio;
  4. trivial job latency (submit to COMPLETED, `srun true`) over 20 jobs, and the time for a
     burst of 100 jobs to drain;
  5. Galaxy upload-to-ok, as the galaxy Molecule scenario recorded it (.cache/bench), when it has run;
  6. with --scale 1,4,16,32: converge and re-run of a controller with that many exec nodes, from the
     cluster image (packages pre-installed, so the curve measures configuration, not dpkg), forks set
     to the host count; seconds per node, the curve's slope, and a plot (OUT-scale.svg);
  7. with --full-stack: converge and re-run of MUNGE, Slurm, slurmdbd accounting and slurm-drmaa on one node
     of the cluster image, and the trivial playbook in the same container; the ratio;
  8. with --peer-role DIR (a checkout of galaxyproject.slurm you provide; nothing of it is kept here):
     first converge and re-run of this collection's slurm playbook and of that role, each on a fresh
     container with the GTN tutorial's variables, in the same run; the ratios;
  9. with --galaxy: Galaxy upload-to-ok with Galaxy's defaults, with this collection's, and with this collection's
     on a Galaxy running Celery workers (galaxy_jobs_metadata_celery), side by side in one run, and a burst of 20
     uploads each (benchmarks/galaxy_latency.py).

Public tools only: Python's standard library, the docker CLI and this checkout's ansible-playbook.
Each point measured is written to the report at once, so a stopped run keeps what it measured.
Usage: python benchmarks/bench.py [--runs N] [--out docs/benchmarks] [--peer-role DIR] [--full-stack] [--scale 1,4]
       [--note "where these rows come from"] (a run that measures some rows keeps the others from the last report:
       --note says so in the report; --render-only --note rewrites the notes alone)
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import uuid

import galaxy_latency

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, ".venv", "bin")
IMAGE = os.environ.get("GXHPC_BENCH_IMAGE", "gxhpc/debian:12")
# The scale curve's image: the roles' packages already installed (tools/build-image 12 cluster).
SCALE_IMAGE = os.environ.get("GXHPC_BENCH_SCALE_IMAGE", "gxhpc/cluster:12")
CONTAINER_CONFIG = {"ProctrackType": "proctrack/linuxproc", "TaskPlugin": "task/none"}
# What the single-node stack installs (roles munge and slurm with controller + exec).
PACKAGES = ["munge", "slurm-client", "slurmctld", "slurmd"]
GALAXY_RECORD = os.path.join(ROOT, ".cache", "bench", "galaxy_upload_to_ok.json")
BOOT_TIMEOUT = 300
INOTIFY = "/proc/sys/fs/inotify/max_user_instances"
# systemd in each container holds inotify instances (7 counted on Debian 12), counted against the host user's
# limit: the default (128) runs out at about 17 containers, and systemd in the next ones does not finish booting.
INOTIFY_PER_CONTAINER = 8


def sh(*args, check=True, **kwargs):
    return subprocess.run(args, check=check, capture_output=True, text=True, **kwargs)


class Containers:
    """Fresh systemd containers, removed on exit."""

    def __init__(self, count, network=None, image=IMAGE):
        self.image = image
        self.tag = uuid.uuid4().hex[:6]
        self.network = network and f"gxhpc-bench-{self.tag}"
        self.names = [f"gxhpc-bench-{self.tag}-{i}" for i in range(count)]

    def __enter__(self):
        if self.network:
            sh("docker", "network", "create", self.network)
        for name in self.names:
            net = ["--network", self.network] if self.network else []
            sh(
                "docker", "run", "-d", "--name", name, "--hostname", name, *net, "--cap-add", "SYS_ADMIN",
                "--tmpfs", "/run", "--tmpfs", "/run/lock", "--cgroupns=host",
                "-v", "/sys/fs/cgroup:/sys/fs/cgroup:rw", self.image, "/sbin/init",
            )  # fmt: skip
        deadline = time.monotonic() + BOOT_TIMEOUT
        for name in self.names:
            # Right after the start, systemctl cannot reach systemd's bus and returns at once.
            while sh(
                "docker", "exec", name, "timeout", "60", "systemctl", "is-system-running", "--wait", check=False
            ).stdout.strip() not in (
                "running",
                "degraded",
            ):
                if time.monotonic() > deadline:
                    self.__exit__()
                    sys.exit(
                        f"{name}: systemd did not finish booting within {BOOT_TIMEOUT} s "
                        f"(fs.inotify.max_user_instances is {inotify_instances()}: each systemd container takes "
                        "several, and the scale curve raises it with sysctl)"
                    )
                time.sleep(0.5)
        return self

    def __exit__(self, *exc):
        sh("docker", "rm", "-f", *self.names, check=False)
        if self.network:
            sh("docker", "network", "rm", self.network, check=False)

    def exec(self, index, command):
        return sh("docker", "exec", self.names[index], "bash", "-c", command, check=False)


def inotify_instances():
    with open(INOTIFY, encoding="utf-8") as handle:
        return int(handle.read())


def ensure_inotify(containers, notes):
    """Raise the host's fs.inotify.max_user_instances for ``containers`` systemd containers (needs root)."""
    have, want = inotify_instances(), 128 + INOTIFY_PER_CONTAINER * containers
    if have >= want:
        return
    result = sh("sysctl", "-w", f"fs.inotify.max_user_instances={want}", check=False)
    if result.returncode != 0:
        sys.exit(
            f"{containers} systemd containers need fs.inotify.max_user_instances >= {want} (it is {have}) and "
            f"sysctl could not raise it: {result.stderr.strip()}"
        )
    note = f"fs.inotify.max_user_instances raised on the host from {have} to {want} for {containers} containers"
    print(note, flush=True)
    notes.append(note)


def playbook(hosts, path, extra=(), env_extra=None):
    """Run a playbook of this checkout against ``hosts`` ({name: vars}); return seconds and its output."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as inv:
        json.dump(
            {"all": {"hosts": {h: dict(v, ansible_connection="community.docker.docker") for h, v in hosts.items()}}},
            inv,
        )
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, ".cache", "collections"), ANSIBLE_NOCOLOR="1")
    env.update(env_extra or {})
    start = time.monotonic()
    result = subprocess.run(
        [os.path.join(BIN, "ansible-playbook"), "-i", inv.name, path, *extra],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        check=False,
    )
    elapsed = time.monotonic() - start
    os.unlink(inv.name)
    if result.returncode != 0:
        sys.exit(f"{path} failed:\n{result.stdout[-4000:]}\n{result.stderr[-2000:]}")
    return elapsed, result.stdout


def single_node_vars(name):
    return {name: {"slurm_roles": ["controller", "exec"], "slurm_config": CONTAINER_CONFIG}}


def bench_single_node(runs, rec):
    trivial_playbook = os.path.join(ROOT, "benchmarks", "trivial.yml")
    site = os.path.join(ROOT, "playbooks", "site.yml")
    for run in range(runs):
        with Containers(1) as floor_box:
            start = time.monotonic()
            result = floor_box.exec(
                0,
                "apt-get update -qq && DEBIAN_FRONTEND=noninteractive "
                f"apt-get install -y -qq --no-install-recommends {' '.join(PACKAGES)} >/dev/null",
            )
            floor = time.monotonic() - start
            if result.returncode != 0:
                sys.exit(f"apt floor failed: {result.stderr}")
        with Containers(1) as box:
            hosts = single_node_vars(box.names[0])
            first = playbook(hosts, site)[0]
            seconds, out = playbook(hosts, site)
            if "changed=0" not in out:
                sys.exit(f"the re-run changed something:\n{out[-3000:]}")
            trivial = playbook(hosts, trivial_playbook)[0]
            rec.add(first_converge_s=first, apt_floor_s=floor, idempotent_rerun_s=seconds, trivial_playbook_s=trivial)
            if run == 0:
                latency, drain = bench_jobs(box)
                rec.set(job_latency_s=latency, burst_100_drain_s=drain)
        print(f"run {run + 1}/{runs}: first {first:.1f}s floor {floor:.1f}s rerun {seconds:.1f}s", flush=True)


def full_stack_vars(name):
    """One node with every part of the stack: MUNGE, Slurm (controller, exec, slurmdbd with MariaDB), slurm-drmaa."""
    tarball = os.environ.get("SLURM_DRMAA_TARBALL") or os.path.join(
        os.path.dirname(ROOT), "shared", "slurm-drmaa", "slurm-drmaa-1.1.6.tar.gz"
    )
    digest = os.environ.get("SLURM_DRMAA_TARBALL_SHA256")
    if not digest:
        sums = os.path.join(os.path.dirname(tarball), "SHA256SUMS")
        if not os.path.isfile(tarball) or not os.path.isfile(sums):
            sys.exit(f"--full-stack: no slurm-drmaa tarball at {tarball} (set SLURM_DRMAA_TARBALL and _SHA256)")
        with open(sums, encoding="utf-8") as handle:
            digest = next(line.split()[0] for line in handle if line.split()[1:] == [os.path.basename(tarball)])
    return {
        name: {
            "slurm_roles": ["controller", "exec", "dbd"],
            "slurm_config": CONTAINER_CONFIG,
            "slurm_dbd_storage_pass": "bench-only",
            "gxhpc_slurm_drmaa": True,
            "slurm_drmaa_install_method": "source",
            "slurm_drmaa_source_tarball": tarball,
            "slurm_drmaa_source_tarball_sha256": digest,
        }
    }


def bench_full_stack(runs, rec):
    """Converge and idempotent re-run of the full single-node stack from the cluster image, and the trivial play."""
    site = os.path.join(ROOT, "playbooks", "site.yml")
    trivial_playbook = os.path.join(ROOT, "benchmarks", "trivial.yml")
    for run in range(runs):
        with Containers(1, image=SCALE_IMAGE) as box:
            hosts = full_stack_vars(box.names[0])
            first = playbook(hosts, site)[0]
            seconds, out = playbook(hosts, site)
            if "changed=0" not in out:
                sys.exit(f"the full stack's re-run changed something:\n{out[-3000:]}")
            trivial = playbook(hosts, trivial_playbook)[0]
        rec.add(full_first_s=first, full_rerun_s=seconds, full_trivial_s=trivial)
        print(f"full stack {run + 1}/{runs}: first {first:.1f}s rerun {seconds:.1f}s trivial {trivial:.1f}s")


def bench_jobs(box):
    """Submit-to-COMPLETED of 20 trivial jobs (srun returns when the job has completed), and a burst."""
    latency = []
    for _job in range(20):
        start = time.monotonic()
        result = box.exec(0, "srun -t 1 true")
        latency.append(time.monotonic() - start)
        if result.returncode != 0:
            sys.exit(f"srun failed: {result.stderr}")
    start = time.monotonic()
    box.exec(0, "for i in $(seq 100); do sbatch -Q -t 1 -o /dev/null --wrap true; done")
    while box.exec(0, "squeue -h | wc -l").stdout.strip() != "0":
        if time.monotonic() - start > 600:
            sys.exit("100 jobs did not drain within 10 minutes")
        time.sleep(0.2)
    return latency, [time.monotonic() - start]


def cluster_hosts(names):
    """The inventory of a controller (the first name) and exec nodes (the rest)."""
    ctl, *execs = names
    hosts = {ctl: {"slurm_roles": ["controller"], "slurm_config": CONTAINER_CONFIG}}
    hosts.update({e: {"slurm_roles": ["exec"], "slurm_config": CONTAINER_CONFIG} for e in execs})
    return hosts


def bench_exec_nodes(runs, rec, counts=(1, 4)):
    site = os.path.join(ROOT, "playbooks", "site.yml")
    for count in counts:
        for _run in range(runs):
            with Containers(count + 1, network=True) as boxes:
                seconds = playbook(cluster_hosts(boxes.names), site)[0]
            rec.add(**{f"converge_{count}_exec_s": seconds})
            print(f"{count} exec node(s): {seconds:.1f}s", flush=True)


def bench_scale(runs, counts, rec):
    """Converge and re-run of a controller and N exec nodes from the cluster image, forks = host count."""
    site = os.path.join(ROOT, "playbooks", "site.yml")
    trivial_playbook = os.path.join(ROOT, "benchmarks", "trivial.yml")
    ensure_inotify(max(counts) + 1, rec.notes)
    for count in counts:
        for _run in range(runs):
            with Containers(count + 1, network=True, image=SCALE_IMAGE) as boxes:
                hosts = cluster_hosts(boxes.names)
                forks = {"ANSIBLE_FORKS": str(count + 1)}
                first = playbook(hosts, site, env_extra=forks)[0]
                seconds, out = playbook(hosts, site, env_extra=forks)
                if "changed=0" not in out or any(
                    "changed=" in line and "changed=0" not in line for line in out.splitlines()
                ):
                    sys.exit(f"the re-run with {count} exec nodes changed something:\n{out[-3000:]}")
                # Ansible's own floor at this size (facts and a ping on every host, the same forks): what no
                # change to the roles can go below on this machine.
                trivial = playbook(hosts, trivial_playbook, env_extra=forks)[0]
            # Recorded (and the report written) after each point: a run stopped later keeps it.
            rec.add(
                **{
                    f"scale_{count}_first_s": first,
                    f"scale_{count}_rerun_s": seconds,
                    f"scale_{count}_trivial_s": trivial,
                }
            )
            print(
                f"scale {count} exec node(s): first {first:.1f}s rerun {seconds:.1f}s trivial {trivial:.1f}s",
                flush=True,
            )


def scale_counts(raw):
    return sorted(int(k.split("_")[1]) for k in raw if k.startswith("scale_") and k.endswith("_first_s"))


def slope(points):
    """Least-squares slope of (x, y) points: seconds added per exec node."""
    n = len(points)
    if n < 2:
        return None
    mean_x = sum(x for x, _y in points) / n
    mean_y = sum(y for _x, y in points) / n
    var = sum((x - mean_x) ** 2 for x, _y in points)
    return sum((x - mean_x) * (y - mean_y) for x, y in points) / var if var else None


def scale_rows(m, counts):
    rows = []
    for count in counts:
        first, rerun = m[f"scale_{count}_first_s"], m[f"scale_{count}_rerun_s"]
        # None for points measured before the trivial floor was part of the curve.
        trivial = m.get(f"scale_{count}_trivial_s")
        rows.append((count, first, rerun, first / (count + 1), rerun / (count + 1), trivial))
    return rows


def scale_svg(rows):
    """The scale curve as a small SVG line plot (standard library only): seconds against exec nodes."""
    width, height, pad = 560, 320, 50
    max_x = max(r[0] for r in rows)
    max_y = max(max(r[1], r[2]) for r in rows) * 1.1

    def px(x, y):
        return pad + (width - 2 * pad) * x / max_x, height - pad - (height - 2 * pad) * y / max_y

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" '
        'font-size="12">',
        f'<rect width="{width}" height="{height}" fill="white"/>',
        f'<line x1="{pad}" y1="{height - pad}" x2="{width - pad}" y2="{height - pad}" stroke="black"/>',
        f'<line x1="{pad}" y1="{pad}" x2="{pad}" y2="{height - pad}" stroke="black"/>',
        f'<text x="{width / 2}" y="{height - 12}" text-anchor="middle">exec nodes (forks = hosts)</text>',
        f'<text x="14" y="{height / 2}" transform="rotate(-90 14 {height / 2})" text-anchor="middle">seconds</text>',
    ]
    series = [("first converge", "#1f77b4", 1), ("re-run", "#d62728", 2)]
    if all(len(r) > 5 and r[5] is not None for r in rows):
        series.append(("trivial play", "#7f7f7f", 5))
    for index, (label, colour, column) in enumerate(series):
        points = [px(r[0], r[column]) for r in rows]
        parts.append(
            f'<polyline fill="none" stroke="{colour}" stroke-width="2" '
            f'points="{" ".join(f"{x:.1f},{y:.1f}" for x, y in points)}"/>'
        )
        for (x, y), row in zip(points, rows):
            parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{colour}"/>')
            parts.append(f'<text x="{x + 5:.1f}" y="{y - 6:.1f}" fill="{colour}">{row[column]:.0f}</text>')
        parts.append(f'<text x="{width - pad - 110}" y="{pad + 16 * index}" fill="{colour}">{label}</text>')
    for row in rows:
        x, _y = px(row[0], 0)
        parts.append(f'<text x="{x:.1f}" y="{height - pad + 16}" text-anchor="middle">{row[0]}</text>')
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


# The GTN tutorial's variables ("Connecting Galaxy to a compute cluster"), plus what Slurm needs in a container.
GTN_VARS = {
    "slurm_roles": ["controller", "exec"],
    "slurm_nodes": [{"name": "localhost", "CPUs": 2}],
    "slurm_config": dict(
        CONTAINER_CONFIG,
        SlurmdParameters="config_overrides",
        SelectType="select/cons_tres",
        SelectTypeParameters="CR_CPU_Memory",
    ),
}


def peer_playbook(peer_role):
    """A playbook applying the role checked out at ``peer_role`` (by path), as the GTN tutorial does."""
    with tempfile.NamedTemporaryFile("w", suffix=".yml", delete=False, dir=os.path.join(ROOT, ".cache")) as handle:
        json.dump([{"name": "Peer role", "hosts": "all", "become": True, "roles": [{"role": peer_role}]}], handle)
    return handle.name


def bench_peer(runs, peer_role, rec):
    """First converge and re-run, GTN variables, this collection's slurm playbook against the peer role."""
    peer_role = os.path.abspath(peer_role)
    if not os.path.isfile(os.path.join(peer_role, "tasks", "main.yml")):
        sys.exit(f"--peer-role {peer_role}: no tasks/main.yml there; give a checkout of galaxyproject.slurm")
    ours = os.path.join(ROOT, "playbooks", "slurm.yml")
    peer = peer_playbook(peer_role)
    try:
        for run in range(runs):
            for key, path in (("ours", ours), ("peer", peer)):
                with Containers(1) as box:
                    # A real host has package lists; the fresh container has none, and galaxyproject.slurm
                    # installs without refreshing them. Both get them here, outside the timing.
                    if box.exec(0, "apt-get update -qq").returncode != 0:
                        sys.exit("apt-get update failed in the peer benchmark's container")
                    hosts = {box.names[0]: GTN_VARS}
                    first = playbook(hosts, path)[0]
                    seconds = playbook(hosts, path)[0]
                rec.add(**{f"gtn_{key}_first_s": first, f"gtn_{key}_rerun_s": seconds})
                print(f"peer run {run + 1}/{runs}: {key} first {first:.1f}s rerun {seconds:.1f}s", flush=True)
    finally:
        os.unlink(peer)


def median(values):
    return statistics.median(values) if values else None


def table(raw):
    m = {k: median(v) for k, v in raw.items()}
    galaxy = None
    if os.path.exists(GALAXY_RECORD):
        with open(GALAXY_RECORD, encoding="utf-8") as handle:
            galaxy = json.load(handle)

    def ratio(a, b):
        return None if m.get(a) is None or not m.get(b) else m[a] / m[b]

    def runs(*keys):
        counts = [len(raw[k]) for k in keys if raw.get(k)]
        return min(counts) if counts and len(counts) == len(keys) else None

    def value(label, key, target=None):
        return (label, m.get(key), "s", target, runs(key))

    def ratio_row(label, a, b, target=None):
        return (label, ratio(a, b), "x", target, runs(a, b))

    rows = [
        value("First converge, single node (MUNGE + Slurm)", "first_converge_s"),
        value("apt floor, same packages (update + install)", "apt_floor_s"),
        ratio_row("Ratio first converge / apt floor", "first_converge_s", "apt_floor_s", "<= 1.2"),
        value("Idempotent re-run, single node (MUNGE + Slurm)", "idempotent_rerun_s", "<= 10 s"),
        value("Trivial playbook (facts + ping)", "trivial_playbook_s"),
        ratio_row("Ratio re-run / trivial", "idempotent_rerun_s", "trivial_playbook_s", "<= 2"),
        value("Full stack (MUNGE, Slurm, accounting, slurm-drmaa): first converge, cluster image", "full_first_s"),
        value("Full stack: idempotent re-run", "full_rerun_s"),
        value("Full stack: trivial playbook, same container", "full_trivial_s"),
        ratio_row("Ratio full stack re-run / trivial", "full_rerun_s", "full_trivial_s", "<= 2"),
        value("Converge, controller + 1 exec node", "converge_1_exec_s"),
        value("Converge, controller + 4 exec nodes", "converge_4_exec_s"),
        ratio_row("Ratio 4 / 1 exec nodes", "converge_4_exec_s", "converge_1_exec_s", "<= 1.3"),
        value("Trivial job, submit to COMPLETED (median of 20)", "job_latency_s", "<= 1 s"),
        value("Burst of 100 jobs, submit to drained", "burst_100_drain_s"),
        ("Galaxy upload to ok", galaxy and galaxy.get("upload_to_ok_s"), "s", "<= 10 s", galaxy and 1),
        *galaxy_latency.rows(m, raw),
    ]
    if m.get("gtn_peer_first_s") is not None:
        rows += [
            value("GTN variables: first converge, gxhpc.cluster.slurm", "gtn_ours_first_s"),
            value("GTN variables: first converge, galaxyproject.slurm", "gtn_peer_first_s"),
            ratio_row("Ratio first converge ours / galaxyproject.slurm", "gtn_ours_first_s", "gtn_peer_first_s"),
            value("GTN variables: re-run, gxhpc.cluster.slurm", "gtn_ours_rerun_s"),
            value("GTN variables: re-run, galaxyproject.slurm", "gtn_peer_rerun_s"),
            ratio_row("Ratio re-run ours / galaxyproject.slurm", "gtn_ours_rerun_s", "gtn_peer_rerun_s"),
            ratio_row("Ratio re-run, MUNGE + Slurm / galaxyproject.slurm's", "idempotent_rerun_s", "gtn_peer_rerun_s"),
            ratio_row("Ratio re-run, full stack / galaxyproject.slurm's", "full_rerun_s", "gtn_peer_rerun_s", "<= 0.6"),
        ]
    return m, rows


def machine():
    cpus = os.cpu_count()
    with open("/proc/meminfo", encoding="utf-8") as handle:
        mem_gib = int(handle.readline().split()[1]) / 1024 / 1024
    docker = sh("docker", "version", "--format", "{{.Server.Version}}", check=False).stdout.strip()
    with open("/proc/loadavg", encoding="utf-8") as handle:
        load = handle.read().split()[:3]
    return {
        "os": platform.platform(),
        "cpus": cpus,
        "memory_gib": round(mem_gib, 1),
        "python": platform.python_version(),
        "docker_server": docker,
        "image": IMAGE,
        "load_average_at_end": load,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--out", default=os.path.join(ROOT, "docs", "benchmarks"))
    parser.add_argument("--skip-exec-nodes", action="store_true", help="leave out the 1-vs-4 exec node runs")
    parser.add_argument(
        "--peer-role",
        metavar="DIR",
        help="a checkout of galaxyproject.slurm: converge and re-run it and this collection with the GTN variables",
    )
    parser.add_argument(
        "--scale",
        metavar="COUNTS",
        help="comma-separated exec node counts (e.g. 1,4,16,32): the scale curve, from the cluster image",
    )
    parser.add_argument("--scale-runs", type=int, help="runs per scale point (default: --runs)")
    parser.add_argument(
        "--galaxy", action="store_true", help="Galaxy upload-to-ok: Galaxy's defaults, ours, ours with Celery metadata"
    )
    parser.add_argument("--galaxy-uploads", type=int, default=10, help="single uploads per Galaxy (default 10)")
    parser.add_argument(
        "--galaxy-burst",
        type=int,
        default=20,
        help="uploads per Galaxy posted at once after the single ones (default 20; 0: none, the report keeps the "
        "last burst rows)",
    )
    parser.add_argument("--skip-single-node", action="store_true", help="leave out the single-node runs")
    parser.add_argument(
        "--note",
        action="append",
        default=[],
        help="a line for the report's notes (where rows come from, the machine's load); repeatable; with "
        "--render-only the notes replace the report's",
    )
    parser.add_argument(
        "--full-stack",
        action="store_true",
        help="re-run of MUNGE, Slurm, slurmdbd accounting and slurm-drmaa (from SLURM_DRMAA_TARBALL) on one node",
    )
    parser.add_argument(
        "--render-only",
        action="store_true",
        help="measure nothing: write the table again from OUT.json, with the galaxy scenario's latest record",
    )
    args = parser.parse_args()

    previous = None
    if os.path.exists(args.out + ".json"):
        with open(args.out + ".json", encoding="utf-8") as handle:
            previous = json.load(handle)
    if args.render_only:
        if previous is None:
            sys.exit(f"--render-only: no {args.out}.json to render")
        info = dict(previous["machine"])
        if args.note:
            info["notes"] = list(args.note)
        write_report(args.out, previous["raw"], info)
        return
    rec = Recorder(args.out, previous)
    rec.notes.extend(args.note)
    if not args.skip_single_node:
        bench_single_node(args.runs, rec)
    if args.full_stack:
        bench_full_stack(args.runs, rec)
    if args.peer_role:
        bench_peer(args.runs, args.peer_role, rec)
    if not args.skip_exec_nodes:
        bench_exec_nodes(args.runs, rec)
    if args.galaxy:
        rec.set(**galaxy_latency.bench_galaxy(args.galaxy_uploads, args.galaxy_burst))
    # Last: the longest, and what a stopped run is most likely to leave unmeasured.
    if args.scale:
        bench_scale(args.scale_runs or args.runs, [int(c) for c in args.scale.split(",")], rec)
    rec.save(finished=True)


class Recorder:
    """What this run measured, written out (with the last report's other rows) after every point."""

    def __init__(self, out, previous):
        self.out = out
        self.previous_raw = previous["raw"] if previous else {}
        self.measured = {}
        self.notes = []

    def add(self, **values):
        for key, value in values.items():
            self.measured.setdefault(key, []).append(value)
        self.save()

    def set(self, **values):
        self.measured.update(values)
        self.save()

    def save(self, finished=False):
        # A run that measures only some rows (--skip-*, --scale alone) keeps the others from the last report;
        # the table says how many runs each row's median is of.
        info = machine()
        if self.notes:
            info["notes"] = list(self.notes)
        if not finished:
            info["status"] = "in progress (a stopped run keeps the points measured so far)"
        write_report(self.out, dict(self.previous_raw, **self.measured), info, quiet=not finished)


def write_report(out, raw, info, quiet=False):
    medians, rows = table(raw)
    lines = ["| measure | median | runs | target |", "| --- | --- | --- | --- |"]
    for label, value, unit, target, runs in rows:
        shown = "not measured" if value is None else (f"{value:.2f} {unit}" if unit == "x" else f"{value:.1f} {unit}")
        lines.append(f"| {label} | {shown} | {runs or ''} | {target or ''} |")
    counts = scale_counts(raw)
    if counts:
        points = scale_rows(medians, counts)
        lines += [
            "",
            "## Scale curve",
            "",
            f"Controller plus N exec nodes from `{SCALE_IMAGE}` (the roles' packages pre-installed), `forks` = hosts;",
            "medians in seconds. Plot: [benchmarks-scale.svg](benchmarks-scale.svg).",
            "",
            "The trivial play (facts and a ping on every host, the same forks) is Ansible's own floor at that size",
            "on this machine: the part of a re-run no change to the roles can remove.",
            "",
            "| exec nodes | first converge | re-run | trivial play | re-run / trivial | first / host | re-run / host "
            "| runs |",
            "| --- | --- | --- | --- | --- | --- | --- | --- |",
        ]
        for count, first, rerun, first_per, rerun_per, trivial in points:
            runs = len(raw[f"scale_{count}_first_s"])
            cells = [
                f"{first:.1f} s",
                f"{rerun:.1f} s",
                "not measured" if trivial is None else f"{trivial:.1f} s",
                "" if trivial is None else f"{rerun / trivial:.2f} x",
                f"{first_per:.2f} s",
                f"{rerun_per:.2f} s",
                str(runs),
            ]
            lines.append(f"| {count} | " + " | ".join(cells) + " |")
        first_slope = slope([(p[0], p[1]) for p in points])
        rerun_slope = slope([(p[0], p[2]) for p in points])
        low, high = points[0], points[-1]
        lines += [
            "",
            f"Slope (least squares): first converge {first_slope:.2f} s per exec node, "
            f"re-run {rerun_slope:.2f} s per exec node."
            if first_slope is not None
            else "Slope: one point only.",
            "",
            "| ratio | value | target |",
            "| --- | --- | --- |",
            f"| re-run {high[0]} / {low[0]} exec nodes | {high[2] / low[2]:.2f} x | <= 2 |",
            f"| first converge {high[0]} / {low[0]} exec nodes | {high[1] / low[1]:.2f} x | <= 2.5 |",
        ]
        if high[5] is not None and low[5] is not None:
            lines.append(f"| trivial play {high[0]} / {low[0]} exec nodes (the floor) | {high[5] / low[5]:.2f} x |  |")
        with open(os.path.join(os.path.dirname(out), "benchmarks-scale.svg"), "w", encoding="utf-8") as handle:
            handle.write(scale_svg(points))
    lines += galaxy_latency.section(medians, raw)
    report = {"machine": info, "medians": medians, "raw": raw}
    if os.path.exists(GALAXY_RECORD):
        with open(GALAXY_RECORD, encoding="utf-8") as handle:
            report["galaxy_upload_to_ok"] = json.load(handle)
    markdown = "\n".join(lines)
    if not quiet:
        print(markdown)
    # Each file replaced whole, so that a run stopped while writing leaves the previous one.
    for path, text in (
        (out + ".json", json.dumps(report, indent=2) + "\n"),
        (
            out + ".md",
            "# Benchmarks\n\n"
            "Written by `benchmarks/bench.py`: medians over fresh containers (the runs column).\n\n"
            "Machine: "
            + ", ".join(f"{k} {v}" for k, v in info.items() if k != "notes")
            + "\n\n"
            + "".join(f"- {note}\n" for note in info.get("notes", []))
            + ("\n" if info.get("notes") else "")
            + markdown
            + "\n",
        ),
    ):
        with open(path + ".tmp", "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(path + ".tmp", path)


if __name__ == "__main__":
    main()
