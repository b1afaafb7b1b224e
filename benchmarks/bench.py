"""Converge and job-latency benchmark for gxhpc.cluster, on fresh containers.

Prints, and writes as Markdown and JSON, the medians over N runs of:
  1. first converge of the single-node stack (MUNGE + Slurm), and the apt floor for the same
     packages (`apt-get update` + `apt-get install`) on an identical fresh container; the ratio;
  2. an idempotent re-run, and a trivial playbook (facts + ping) as its floor; the ratio;
  3. converge of a controller with 1 and with 4 exec nodes; the ratio;
  4. trivial job latency (submit to COMPLETED, `srun true`) over 20 jobs, and the time for a
     burst of 100 jobs to drain;
  5. Galaxy upload-to-ok, as the galaxy Molecule scenario recorded it (.cache/bench), when it has run;
  6. with --peer-role DIR (a checkout of galaxyproject.slurm you provide; nothing of it is kept here):
     first converge and re-run of this collection's slurm playbook and of that role, each on a fresh
     container with the GTN tutorial's variables, in the same run; the ratios.

Public tools only: Python's standard library, the docker CLI and this checkout's ansible-playbook.
Usage: python benchmarks/bench.py [--runs N] [--out docs/benchmarks] [--peer-role DIR]
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

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, ".venv", "bin")
IMAGE = os.environ.get("GXHPC_BENCH_IMAGE", "gxhpc/debian:12")
CONTAINER_CONFIG = {"ProctrackType": "proctrack/linuxproc", "TaskPlugin": "task/none"}
# What the single-node stack installs (roles munge and slurm with controller + exec).
PACKAGES = ["munge", "slurm-client", "slurmctld", "slurmd"]
GALAXY_RECORD = os.path.join(ROOT, ".cache", "bench", "galaxy_upload_to_ok.json")


def sh(*args, check=True, **kwargs):
    return subprocess.run(args, check=check, capture_output=True, text=True, **kwargs)


class Containers:
    """Fresh systemd containers, removed on exit."""

    def __init__(self, count, network=None):
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
                "-v", "/sys/fs/cgroup:/sys/fs/cgroup:rw", IMAGE, "/sbin/init",
            )  # fmt: skip
        for name in self.names:
            # Right after the start, systemctl cannot reach systemd's bus and returns at once.
            while sh(
                "docker", "exec", name, "systemctl", "is-system-running", "--wait", check=False
            ).stdout.strip() not in (
                "running",
                "degraded",
            ):
                time.sleep(0.5)
        return self

    def __exit__(self, *exc):
        sh("docker", "rm", "-f", *self.names, check=False)
        if self.network:
            sh("docker", "network", "rm", self.network, check=False)

    def exec(self, index, command):
        return sh("docker", "exec", self.names[index], "bash", "-c", command, check=False)


def playbook(hosts, path, extra=()):
    """Run a playbook of this checkout against ``hosts`` ({name: vars}); return seconds."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as inv:
        json.dump(
            {"all": {"hosts": {h: dict(v, ansible_connection="community.docker.docker") for h, v in hosts.items()}}},
            inv,
        )
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, ".cache", "collections"), ANSIBLE_NOCOLOR="1")
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


def bench_single_node(runs):
    first, floor, rerun, trivial, latency, drain = [], [], [], [], [], []
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
            floor.append(time.monotonic() - start)
            if result.returncode != 0:
                sys.exit(f"apt floor failed: {result.stderr}")
        with Containers(1) as box:
            hosts = single_node_vars(box.names[0])
            first.append(playbook(hosts, site)[0])
            seconds, out = playbook(hosts, site)
            if "changed=0" not in out:
                sys.exit(f"the re-run changed something:\n{out[-3000:]}")
            rerun.append(seconds)
            trivial.append(playbook(hosts, trivial_playbook)[0])
            if run == 0:
                latency, drain = bench_jobs(box)
        print(f"run {run + 1}/{runs}: first {first[-1]:.1f}s floor {floor[-1]:.1f}s rerun {rerun[-1]:.1f}s", flush=True)
    return {
        "first_converge_s": first,
        "apt_floor_s": floor,
        "idempotent_rerun_s": rerun,
        "trivial_playbook_s": trivial,
        "job_latency_s": latency,
        "burst_100_drain_s": drain,
    }


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


def bench_exec_nodes(runs, counts=(1, 4)):
    site = os.path.join(ROOT, "playbooks", "site.yml")
    results = {}
    for count in counts:
        results[count] = []
        for _run in range(runs):
            with Containers(count + 1, network=True) as boxes:
                ctl, *execs = boxes.names
                hosts = {ctl: {"slurm_roles": ["controller"], "slurm_config": CONTAINER_CONFIG}}
                hosts.update({e: {"slurm_roles": ["exec"], "slurm_config": CONTAINER_CONFIG} for e in execs})
                results[count].append(playbook(hosts, site)[0])
            print(f"{count} exec node(s): {results[count][-1]:.1f}s", flush=True)
    return {f"converge_{c}_exec_s": v for c, v in results.items()}


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


def bench_peer(runs, peer_role):
    """First converge and re-run, GTN variables, this collection's slurm playbook against the peer role."""
    peer_role = os.path.abspath(peer_role)
    if not os.path.isfile(os.path.join(peer_role, "tasks", "main.yml")):
        sys.exit(f"--peer-role {peer_role}: no tasks/main.yml there; give a checkout of galaxyproject.slurm")
    ours = os.path.join(ROOT, "playbooks", "slurm.yml")
    peer = peer_playbook(peer_role)
    raw = {"gtn_ours_first_s": [], "gtn_ours_rerun_s": [], "gtn_peer_first_s": [], "gtn_peer_rerun_s": []}
    try:
        for run in range(runs):
            for key, path in (("ours", ours), ("peer", peer)):
                with Containers(1) as box:
                    hosts = {box.names[0]: GTN_VARS}
                    raw[f"gtn_{key}_first_s"].append(playbook(hosts, path)[0])
                    raw[f"gtn_{key}_rerun_s"].append(playbook(hosts, path)[0])
            print(
                f"peer run {run + 1}/{runs}: ours first {raw['gtn_ours_first_s'][-1]:.1f}s rerun "
                f"{raw['gtn_ours_rerun_s'][-1]:.1f}s, peer first {raw['gtn_peer_first_s'][-1]:.1f}s rerun "
                f"{raw['gtn_peer_rerun_s'][-1]:.1f}s",
                flush=True,
            )
    finally:
        os.unlink(peer)
    return raw


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

    rows = [
        ("First converge, single node (MUNGE + Slurm)", m["first_converge_s"], "s", None),
        ("apt floor, same packages (update + install)", m["apt_floor_s"], "s", None),
        ("Ratio first converge / apt floor", ratio("first_converge_s", "apt_floor_s"), "x", "<= 1.2"),
        ("Idempotent re-run, whole stack", m["idempotent_rerun_s"], "s", "<= 10 s"),
        ("Trivial playbook (facts + ping)", m["trivial_playbook_s"], "s", None),
        ("Ratio re-run / trivial", ratio("idempotent_rerun_s", "trivial_playbook_s"), "x", "<= 3.3"),
        ("Converge, controller + 1 exec node", m.get("converge_1_exec_s"), "s", None),
        ("Converge, controller + 4 exec nodes", m.get("converge_4_exec_s"), "s", None),
        ("Ratio 4 / 1 exec nodes", ratio("converge_4_exec_s", "converge_1_exec_s"), "x", "<= 1.3"),
        ("Trivial job, submit to COMPLETED (median of 20)", m["job_latency_s"], "s", "<= 1 s"),
        ("Burst of 100 jobs, submit to drained", m["burst_100_drain_s"], "s", None),
        ("Galaxy upload to ok", galaxy and galaxy.get("upload_to_ok_s"), "s", "<= 10 s"),
    ]
    if m.get("gtn_peer_first_s") is not None:
        rows += [
            ("GTN variables: first converge, gxhpc.cluster.slurm", m["gtn_ours_first_s"], "s", None),
            ("GTN variables: first converge, galaxyproject.slurm", m["gtn_peer_first_s"], "s", None),
            (
                "Ratio first converge ours / galaxyproject.slurm",
                ratio("gtn_ours_first_s", "gtn_peer_first_s"),
                "x",
                None,
            ),
            ("GTN variables: re-run, gxhpc.cluster.slurm", m["gtn_ours_rerun_s"], "s", None),
            ("GTN variables: re-run, galaxyproject.slurm", m["gtn_peer_rerun_s"], "s", None),
            ("Ratio re-run ours / galaxyproject.slurm", ratio("gtn_ours_rerun_s", "gtn_peer_rerun_s"), "x", None),
            (
                "Ratio re-run, whole stack / galaxyproject.slurm's",
                ratio("idempotent_rerun_s", "gtn_peer_rerun_s"),
                "x",
                "<= 0.6",
            ),
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
        "--render-only",
        action="store_true",
        help="measure nothing: write the table again from OUT.json, with the galaxy scenario's latest record",
    )
    args = parser.parse_args()

    if args.render_only:
        with open(args.out + ".json", encoding="utf-8") as handle:
            previous = json.load(handle)
        raw, args.runs = previous["raw"], previous["runs"]
    else:
        raw = bench_single_node(args.runs)
        if not args.skip_exec_nodes:
            raw.update(bench_exec_nodes(args.runs))
        if args.peer_role:
            raw.update(bench_peer(args.runs, args.peer_role))
    medians, rows = table(raw)
    lines = [
        "| measure | median | target |",
        "| --- | --- | --- |",
    ]
    for label, value, unit, target in rows:
        shown = "not measured" if value is None else (f"{value:.2f} {unit}" if unit == "x" else f"{value:.1f} {unit}")
        lines.append(f"| {label} | {shown} | {target or ''} |")
    info = previous["machine"] if args.render_only else machine()
    report = {"runs": args.runs, "machine": info, "medians": medians, "raw": raw}
    if os.path.exists(GALAXY_RECORD):
        with open(GALAXY_RECORD, encoding="utf-8") as handle:
            report["galaxy_upload_to_ok"] = json.load(handle)
    markdown = "\n".join(lines)
    print(markdown)
    with open(args.out + ".json", "w", encoding="utf-8") as handle:
        json.dump(report, handle, indent=2)
    with open(args.out + ".md", "w", encoding="utf-8") as handle:
        handle.write("# Benchmarks\n\n")
        handle.write(f"Written by `benchmarks/bench.py`: medians of {args.runs} runs on fresh containers.\n\n")
        handle.write("Machine: " + ", ".join(f"{k} {v}" for k, v in info.items()) + "\n\n" + markdown + "\n")


if __name__ == "__main__":
    main()
