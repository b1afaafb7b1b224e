"""Galaxy upload-to-ok on Slurm, with Galaxy's and Slurm's defaults and with this collection's, in one run.

One fresh container (``bench-galaxy-<tag>``, from the cluster image, Galaxy's virtualenv from the host's cache as
the galaxy Molecule scenario mounts it): the galaxy scenario's prepare.yml installs Galaxy 26.1.1 with PostgreSQL and
two gravity job handlers (db-skip-locked); benchmarks/galaxy_latency.yml converges Slurm and galaxy_jobs with the CLI
runner (sbatch through a local shell), first with ``gxhpc_bench_profile=galaxy`` (every latency setting left at
Galaxy's and Slurm's own defaults), then with this collection's defaults (``collection``). For each profile: a warm-up
upload, N uploads one after the other (upload-to-ok: from the POST of the upload dialog's request, /api/tools/fetch,
to the dataset's state ok, polled every POLL seconds), and a burst of BURST uploads posted at once (drain time: the
first POST to the last ok; how many were still new or queued, or not ok, at the end). Each job's phases come from
Galaxy's job_state_history table (new -> queued -> running -> ok).

Imported by bench.py (``--galaxy``); runnable alone: python benchmarks/galaxy_latency.py [--uploads N].
"""

from __future__ import annotations

import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, ".venv", "bin")
IMAGE = os.environ.get("GXHPC_BENCH_GALAXY_IMAGE", "gxhpc/cluster:12")
GALAXY_CACHE = os.path.join(os.path.expanduser("~"), ".cache", "gxhpc", "galaxy")
PREPARE = os.path.join(ROOT, "molecule", "galaxy", "prepare.yml")
CONVERGE = os.path.join(ROOT, "benchmarks", "galaxy_latency.yml")
# A throwaway container's bootstrap key (galaxy.yml's bootstrap_admin_api_key, as the galaxy scenario's).
BOOTSTRAP_KEY = "gxhpc-bench-bootstrap-key-" + uuid.uuid4().hex[:8]
POLL = 0.25
DRAIN_TIMEOUT = 900
UPLOAD_TIMEOUT = 300
START_TIMEOUT = 900
CONTAINER_CONFIG = {
    "SelectType": "select/cons_tres",
    "SelectTypeParameters": "CR_CPU_Memory",
    "ProctrackType": "proctrack/linuxproc",
    "TaskPlugin": "task/none",
}
# The galaxy scenario's CLI runner (variant 1), one core per job so that the container's two cores run two at once.
JOB_CONF = {
    "handling": {"assign": ["db-skip-locked"]},
    "runners": {"cli": {"load": "galaxy.jobs.runners.cli:ShellJobRunner", "workers": 2}},
    "execution": {
        "default": "slurm_cli",
        "environments": {
            "slurm_cli": {
                "runner": "cli",
                "shell_plugin": "LocalShell",
                "job_plugin": "Slurm",
                "job_ncpus": 1,
                "job_--mem": 300,
            }
        },
    },
}


def sh(*args, check=True, **kwargs):
    return subprocess.run(args, check=check, capture_output=True, text=True, **kwargs)


class GalaxyBox:
    """A fresh systemd container for Galaxy and Slurm, removed on exit."""

    def __init__(self, tag, profile):
        self.profile = profile
        self.name = f"bench-galaxy-{tag}-{profile}"

    def __enter__(self):
        os.makedirs(GALAXY_CACHE, exist_ok=True)
        sh(
            "docker", "run", "-d", "--name", self.name, "--hostname", self.name, "--cap-add", "SYS_ADMIN",
            "--tmpfs", "/run", "--tmpfs", "/run/lock", "--cgroupns=host",
            "-v", "/sys/fs/cgroup:/sys/fs/cgroup:rw", "-v", f"{GALAXY_CACHE}:/var/cache/gxhpc-galaxy:rw",
            IMAGE, "/sbin/init",
        )  # fmt: skip
        return self

    def __exit__(self, *exc):
        if not os.environ.get("GXHPC_BENCH_KEEP"):
            sh("docker", "rm", "-f", self.name, check=False)

    def exec(self, command):
        return sh("docker", "exec", self.name, "bash", "-c", command, check=False)

    def address(self):
        return sh(
            "docker", "inspect", "-f", "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}", self.name
        ).stdout.strip()

    def sql(self, query):
        result = self.exec(f"cd / && runuser -u postgres -- psql galaxy -AtF '|' -c {json.dumps(query)}")
        return [line.split("|") for line in result.stdout.splitlines() if line]


def inventory(box):
    host = {
        "ansible_connection": "community.docker.docker",
        "gxhpc_test_bootstrap_api_key": BOOTSTRAP_KEY,
        "slurm_controller_host": box.name,
        "slurm_roles": ["controller", "exec"],
        "slurm_config": CONTAINER_CONFIG,
        "slurm_galaxy_reserved_cores": 0,
        "slurm_galaxy_reserved_memory_mb": 1024,
        "galaxy_jobs_conf": JOB_CONF,
    }
    host.update(PROFILE_VARS[box.profile])
    return {"all": {"children": {"galaxyservers": {"hosts": {box.name: host}}}}}


def playbooks(boxes, path):
    """Run ``path`` against each box at once (one ansible-playbook each: each box is its own cluster)."""
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, ".cache", "collections"), ANSIBLE_NOCOLOR="1")
    start = time.monotonic()
    with tempfile.TemporaryDirectory() as scratch:
        running = []
        for box in boxes:
            inv = os.path.join(scratch, f"{box.name}.json")
            with open(inv, "w", encoding="utf-8") as handle:
                json.dump(inventory(box), handle)
            log = os.path.join(scratch, f"{box.name}.log")
            with open(log, "w", encoding="utf-8") as out:
                command = [os.path.join(BIN, "ansible-playbook"), "-i", inv, path]
                process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=ROOT)
            running.append((box, log, process))
        for box, log, process in running:
            if process.wait() != 0:
                with open(log, encoding="utf-8") as handle:
                    sys.exit(f"{path} failed on {box.name}:\n{handle.read()[-6000:]}")
    return time.monotonic() - start


class Api:
    """Galaxy's API with the standard library."""

    def __init__(self, url, key):
        self.url, self.key = url, key

    def call(self, method, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        headers = {"x-api-key": self.key, "content-type": "application/json"}
        # The URL is http://<the container's address>:8080, made here.
        request = urllib.request.Request(self.url + path, data=data, method=method, headers=headers)  # noqa: S310
        with urllib.request.urlopen(request, timeout=120) as answer:  # noqa: S310
            return json.loads(answer.read() or b"null")

    def wait_up(self, timeout=START_TIMEOUT):
        deadline = time.monotonic() + timeout
        while True:
            try:
                return self.call("GET", "/api/version")
            except (urllib.error.URLError, OSError):
                if time.monotonic() > deadline:
                    sys.exit(f"Galaxy at {self.url} did not answer within {timeout} s")
                time.sleep(2)

    def upload(self, history_id, label):
        element = {"src": "pasted", "paste_content": f"gxhpc bench {label} {uuid.uuid4().hex}\n", "ext": "txt"}
        body = {
            "history_id": history_id,
            "targets": [{"destination": {"type": "hdas"}, "elements": [dict(element, name=f"{label}.txt")]}],
        }
        result = self.call("POST", "/api/tools/fetch", body)
        return result["outputs"][0]["id"]

    def states(self, history_id):
        contents = self.call("GET", f"/api/histories/{history_id}/contents?v=dev&keys=id,state")
        return {item["id"]: item["state"] for item in contents}


def user_api(box):
    """The API as a fresh Galaxy user (the bootstrap key owns no histories)."""
    url = f"http://{box.address()}:8080"
    admin = Api(url, BOOTSTRAP_KEY)
    admin.wait_up()
    email = f"bench-{uuid.uuid4().hex[:6]}@example.org"
    body = {"username": email.split("@", maxsplit=1)[0], "email": email, "password": uuid.uuid4().hex}
    user = admin.call("POST", "/api/users", body)
    return Api(url, admin.call("POST", f"/api/users/{user['id']}/api_key"))


FINAL = ("ok", "error", "failed_metadata", "paused", "deferred", "discarded")


def wait_ok(api, history_id, dataset_id, start):
    while True:
        state = api.states(history_id).get(dataset_id)
        if state in FINAL:
            return state, time.monotonic() - start
        if time.monotonic() - start > UPLOAD_TIMEOUT:
            return state, None
        time.sleep(POLL)


def last_job_id(box):
    rows = box.sql("select coalesce(max(id), 0) from job")
    return int(rows[0][0]) if rows else 0


def job_phases(box, since_id):
    """Per job after since_id: seconds new -> queued -> running -> ok (Galaxy's job_state_history), and inside the
    Slurm job the upload tool and the metadata step (the job directory's files: start, exit code, metadata results)."""
    query = "select job_id, state, extract(epoch from create_time) from job_state_history where job_id > %d order by id"
    rows = box.sql(query % int(since_id))
    jobs = {}
    for job_id, state, stamp in rows:
        jobs.setdefault(int(job_id), {}).setdefault(state, float(stamp))
    phases = {key: [] for key in PHASES}
    for job_id, states in sorted(jobs.items()):
        for key, (a, b) in zip(PHASES[:3], (("new", "queued"), ("queued", "running"), ("running", "ok"))):
            if a in states and b in states:
                phases[key].append(states[b] - states[a])
        directory = f"/srv/galaxy/jobs/{job_id // 1000:03d}/{job_id}"
        stamps = box.exec(
            f"stat -c %.Y {directory}/__instrument_core_galaxy_slots {directory}/galaxy_{job_id}.ec "
            f"{directory}/metadata/metadata_results_output0"
        ).stdout.split()
        if len(stamps) == 3:
            begin, tool_end, metadata_end = (float(x) for x in stamps)
            phases["job_tool_s"].append(tool_end - begin)
            phases["job_metadata_s"].append(metadata_end - tool_end)
    return phases


def measure_singles(boxes, apis, histories, uploads):
    """Uploads one after the other, alternating the boxes (and which goes first each round), so all see the
    same machine; each box's upload-to-ok times and its jobs' phases."""
    since = {box.profile: last_job_id(box) for box in boxes}
    times = {box.profile: [] for box in boxes}
    not_ok = {box.profile: 0 for box in boxes}
    for index in range(uploads):
        order = boxes if index % 2 == 0 else list(reversed(boxes))
        for box in order:
            api, history_id = apis[box.profile], histories[box.profile]
            start = time.monotonic()
            dataset_id = api.upload(history_id, f"single-{index}")
            state, seconds = wait_ok(api, history_id, dataset_id, start)
            if state == "ok":
                times[box.profile].append(seconds)
            else:
                not_ok[box.profile] += 1
            shown = "timed out" if seconds is None else f"{seconds:.1f} s"
            print(f"  {box.profile} upload {index + 1}/{uploads}: {state}, {shown}", flush=True)
    return {
        box.profile: dict(upload_to_ok_s=times[box.profile], uploads_not_ok=[not_ok[box.profile]],
                          **job_phases(box, since[box.profile]))
        for box in boxes
    }  # fmt: skip


def measure_burst(box, api, burst):
    """BURST uploads posted at once: seconds from the first POST until every dataset is final; how many were still
    new or queued (never picked up or never submitted), and how many were not ok, at the end."""
    history_id = api.call("POST", "/api/histories", {"name": "gxhpc bench burst"})["id"]
    since = last_job_id(box)
    start = time.monotonic()
    posted = [api.upload(history_id, f"burst-{index}") for index in range(burst)]
    while True:
        current = api.states(history_id)
        if all(current.get(d) in FINAL for d in posted) or time.monotonic() - start > DRAIN_TIMEOUT:
            break
        time.sleep(POLL)
    drain = time.monotonic() - start
    stuck = sum(1 for d in posted if current.get(d) in (None, "new", "queued"))
    not_ok = sum(1 for d in posted if current.get(d) != "ok")
    print(f"  {box.profile} burst of {burst}: drained in {drain:.1f} s, stuck in new/queued {stuck}, not ok {not_ok}")
    phases = job_phases(box, since)
    return {"burst_drain_s": [drain], "burst_stuck": [stuck], "burst_not_ok": [not_ok],
            "burst_new_to_queued_s": phases["new_to_queued_s"]}  # fmt: skip


def settings_text(box):
    """What galaxy.yml and slurm.conf say for the settings compared (printed, for the log)."""
    return box.exec(
        "grep -E 'monitor_sleep|metadata_strategy|celery' /srv/galaxy/config/galaxy.yml; "
        "grep -E 'metadata' /srv/galaxy/config/job_conf.yml; "
        "grep -E '^SchedulerParameters' /etc/slurm/slurm.conf"
    ).stdout.strip()


def bench_galaxy(uploads=10, burst=20):
    """The profiles side by side, one container each; raw figures keyed galaxy_<profile>_<measure>, each a list."""
    tag = uuid.uuid4().hex[:6]
    raw = {}
    with contextlib.ExitStack() as stack:
        boxes = [stack.enter_context(GalaxyBox(tag, profile)) for profile in PROFILES]
        print(f"galaxy latency: containers {', '.join(box.name for box in boxes)}", flush=True)
        raw["galaxy_prepare_s"] = [playbooks(boxes, PREPARE)]
        raw["galaxy_converge_s"] = [playbooks(boxes, CONVERGE)]
        apis = {box.profile: user_api(box) for box in boxes}
        for box in boxes:
            print(f"galaxy latency, {box.profile}: {settings_text(box) or 'no latency settings'}", flush=True)
        histories = {p: api.call("POST", "/api/histories", {"name": "gxhpc bench"})["id"] for p, api in apis.items()}
        # The first job after a start warms each handler (tool, object store, the runner's first poll): not counted.
        for profile, api in apis.items():
            wait_ok(api, histories[profile], api.upload(histories[profile], "warm-up"), time.monotonic())
        results = measure_singles(boxes, apis, histories, uploads)
        # burst 0: no burst (a run for the single uploads alone; bench.py keeps the last report's burst rows).
        for box in boxes if burst else ():
            results[box.profile].update(measure_burst(box, apis[box.profile], burst))
        for box in boxes:
            results[box.profile]["handler_cpu_s"] = [handler_cpu(box)]
        for profile, result in results.items():
            raw.update({f"galaxy_{profile}_{key}": value for key, value in result.items()})
    return raw


def handler_cpu(box):
    """CPU seconds (user + system) the job handler processes have used since they started: what the shorter
    sleeps cost, with the run's jobs included."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    result = box.exec("for p in $(pgrep -f 'server-name=handler_'); do cat /proc/$p/stat; done")
    for line in result.stdout.splitlines():
        fields = line.rsplit(")", 1)[-1].split()
        total += (int(fields[11]) + int(fields[12])) / ticks
    return total


def rows(medians, raw):
    """bench.py's table rows: (label, value, unit, target, runs)."""

    def runs(key):
        return len(raw.get(key) or []) or None

    def value(label, key, unit="s", target=None):
        return (label, medians.get(key), unit, target, runs(key))

    theirs = medians.get("galaxy_defaults_upload_to_ok_s")
    result = [value("Galaxy upload to ok, Galaxy's defaults (CLI runner, median)", "galaxy_defaults_upload_to_ok_s")]
    for profile in PROFILES[1:]:
        key = f"galaxy_{profile}_upload_to_ok_s"
        if profile != "ours" and medians.get(key) is None:
            continue  # a report from before this profile was measured
        mine = medians.get(key)
        result += [
            value(f"Galaxy upload to ok, {PROFILE_TITLES[profile]} (median)", key),
            (
                f"Ratio upload to ok, {PROFILE_TITLES[profile]} / Galaxy's defaults",
                mine / theirs if mine and theirs else None,
                "x",
                "<= 0.5",
                runs(key),
            ),
        ]
    for profile in PROFILES:
        key = f"galaxy_{profile}_burst_drain_s"
        if profile == "celery" and medians.get(key) is None:
            continue
        result.append(value(f"Burst of 20 uploads drained, {PROFILE_TITLES[profile]}", key))
    return result


def section(medians, raw):
    """Markdown lines: where each profile's upload-to-ok goes (medians of its single uploads' jobs)."""
    if medians.get("galaxy_ours_upload_to_ok_s") is None:
        return []
    profiles = [p for p in PROFILES if medians.get(f"galaxy_{p}_upload_to_ok_s") is not None]
    lines = [
        "",
        "## Galaxy job latency",
        "",
        f"{len(profiles)} Galaxy 26.1.1 containers side by side (PostgreSQL, two gravity job handlers, db-skip-locked,",
        "the CLI runner submitting to a one-node Slurm), uploads alternating between them: one keeps Galaxy's",
        "defaults (no monitor sleep set), one has this collection's defaults"
        + (
            "; one also runs Celery workers (the site's gravity celery service, uploads kept on Slurm) with"
            " galaxy_jobs_metadata_celery, so the metadata step runs in a warm worker, not in the Slurm job."
            if "celery" in profiles
            else "."
        ),
        "Medians over the single uploads' jobs, seconds: from Galaxy's job_state_history, and inside the Slurm job",
        "from the job directory's files.",
        "",
        "| phase | " + " | ".join(PROFILE_TITLES[p] for p in profiles) + " |",
        "| --- |" + " --- |" * len(profiles),
    ]
    for key in ("upload_to_ok_s", *PHASES):
        cells = []
        for profile in profiles:
            number = medians.get(f"galaxy_{profile}_{key}")
            cells.append("" if number is None else f"{number:.1f} s")
        lines.append(f"| {PHASE_LABELS[key]} | " + " | ".join(cells) + " |")
    cells = [f"{v[0]:.0f} s" if (v := raw.get(f"galaxy_{p}_handler_cpu_s")) else "" for p in profiles]
    lines.append("| CPU time of the two job handler processes over the whole run | " + " | ".join(cells) + " |")
    for key, label in (
        ("burst_drain_s", "drained (first POST to last final state)"),
        ("burst_stuck", "left in new or queued (target 0)"),
        ("burst_not_ok", "not ok at the end"),
    ):
        fmt = (lambda x: f"{x:.1f} s") if key == "burst_drain_s" else (lambda x: str(int(x)))
        cells = [fmt(v[0]) if (v := raw.get(f"galaxy_{p}_{key}")) else "" for p in profiles]
        lines.append(f"| burst of 20 uploads: {label} | " + " | ".join(cells) + " |")
    return lines


PHASES = ("new_to_queued_s", "queued_to_running_s", "running_to_ok_s", "job_tool_s", "job_metadata_s")
PHASE_LABELS = {
    "upload_to_ok_s": "upload POST to dataset ok",
    "new_to_queued_s": "new to queued (a handler takes the job, prepares it)",
    "queued_to_running_s": "queued to running (sbatch, Slurm starts it, the runner notices)",
    "running_to_ok_s": "running to ok (the job, then the runner notices its end and finishes it)",
    "job_tool_s": "in the job: the upload tool (data_fetch.py)",
    "job_metadata_s": "in the job: the metadata step (metadata/set.py)",
}
# Galaxy's defaults: the role sets no monitor sleep (null leaves galaxy.yml without them). Ours: the role's defaults.
# celery: ours, on a Galaxy whose site runs Celery workers (gravity's celery service, enable_celery_tasks; uploads
# still go to Slurm), with the role's galaxy_jobs_metadata_celery: each job's metadata step runs in a warm Celery
# worker instead of a fresh Python in the Slurm job.
PROFILE_VARS = {
    "defaults": {"galaxy_jobs_handler_monitor_sleep": None, "galaxy_jobs_runner_monitor_sleep": None},
    "ours": {},
    "celery": {"gxhpc_test_celery": True, "galaxy_jobs_metadata_celery": True},
}
PROFILES = tuple(PROFILE_VARS)
PROFILE_TITLES = {
    "defaults": "Galaxy's defaults",
    "ours": "this collection's defaults",
    "celery": "ours + Celery metadata",
}


def main():
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--uploads", type=int, default=10)
    parser.add_argument("--burst", type=int, default=20)
    parser.add_argument("--out", default=os.path.join(ROOT, ".cache", "bench", "galaxy_latency.json"))
    args = parser.parse_args()
    raw = bench_galaxy(args.uploads, args.burst)
    medians = {k: statistics.median(v) if v else None for k, v in raw.items()}
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w", encoding="utf-8") as handle:
        json.dump({"medians": medians, "raw": raw}, handle, indent=2)
    for row in rows(medians, raw):
        print(row)
    print("\n".join(section(medians, raw)))


if __name__ == "__main__":
    main()
