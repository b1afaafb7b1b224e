"""The readiness check's logic: mounts, NFS caching, probe jobs, and every named failure."""

import copy
import os
import subprocess
import tempfile

import pytest

from ansible_collections.gxhpc.cluster.plugins.module_utils import cluster_check as cc
from ansible_collections.gxhpc.cluster.plugins.module_utils import cluster_gather as cg

MOUNTINFO = """\
22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw,errors=remount-ro
40 22 0:45 / /srv/galaxy rw,relatime shared:20 - nfs4 nas:/export/galaxy rw,vers=4.2,rsize=1048576,hard,proto=tcp
41 40 0:46 / /srv/galaxy/var/jobs rw,relatime shared:21 - nfs nas:/jobs rw,vers=3,noac,acregmin=0,acregmax=0
42 22 0:47 / /mnt/with\\040space rw - tmpfs tmpfs rw,size=1024k
"""

PATHS = [
    {"name": "galaxy_server_dir", "path": "/srv/galaxy/server"},
    {"name": "job_working_directory", "path": "/srv/galaxy/var/jobs"},
]
SETTINGS = {"paths": PATHS, "galaxy_user": "galaxy", "clock_tolerance": 300, "clock_window": 2}
KEY = "a" * 64
CONF = "c" * 64


# --- gathering -----------------------------------------------------------------------------------------


def test_parse_mountinfo_fields_and_escapes():
    mounts = cg.parse_mountinfo(MOUNTINFO)
    assert [m["mount_point"] for m in mounts] == ["/", "/srv/galaxy", "/srv/galaxy/var/jobs", "/mnt/with space"]
    nfs = mounts[1]
    assert nfs["fstype"] == "nfs4" and nfs["source"] == "nas:/export/galaxy" and nfs["device"] == "0:45"
    # Superblock options (where NFS reports caching) are merged into the mount's options.
    assert "hard" in nfs["options"] and "relatime" in nfs["options"]


def test_parse_mountinfo_skips_garbage():
    assert cg.parse_mountinfo("nonsense\n1 2 3\n") == []


@pytest.mark.parametrize(
    "path, mount_point",
    [
        ("/srv/galaxy/server", "/srv/galaxy"),
        ("/srv/galaxy/var/jobs/123", "/srv/galaxy/var/jobs"),
        ("/srv/galaxyfoo", "/"),
        ("/srv/galaxy", "/srv/galaxy"),
    ],
)
def test_mount_of_deepest_mount_point(path, mount_point):
    assert cg.mount_of(path, None, cg.parse_mountinfo(MOUNTINFO))["mount_point"] == mount_point


def test_mount_of_prefers_the_device():
    mounts = cg.parse_mountinfo(MOUNTINFO)
    # A path under the NFS mount point whose device is the root fs' (a bind mount's view) follows the device.
    assert cg.mount_of("/srv/galaxy/x", "8:1", mounts)["mount_point"] == "/"


@pytest.mark.parametrize(
    "fstype, options, caching",
    [
        ("nfs4", ["rw", "hard"], True),
        ("nfs4", ["rw", "noac"], False),
        ("nfs", ["actimeo=0"], False),
        ("nfs", ["acregmin=0", "acregmax=0", "acdirmin=0", "acdirmax=0"], False),
        ("nfs", ["acregmin=0", "acregmax=0", "acdirmin=30", "acdirmax=60"], True),
        ("nfs", ["actimeo=3"], True),
        ("ext4", ["rw"], False),
        ("cephfs", ["rw"], False),
    ],
)
def test_nfs_attribute_caching(fstype, options, caching):
    assert cg.nfs_attribute_caching(fstype, options) is caching


def test_path_facts_existing_and_missing(tmp_path):
    mounts = [{"device": "x", "root": "/", "mount_point": "/", "fstype": "ext4", "source": "/dev/x", "options": []}]
    facts = cg.path_facts(str(tmp_path), mounts)
    assert facts["exists"] and facts["is_dir"] and facts["fstype"] == "ext4"
    assert facts["attribute_caching"] is False
    missing = cg.path_facts(str(tmp_path / "nope"), mounts)
    assert missing["exists"] is False and "No such file" in missing["error"]


def test_user_facts_root_and_missing():
    root = cg.user_facts("root")
    assert root["exists"] and root["uid"] == 0 and root["gid"] == 0 and root["shell"]
    assert cg.user_facts("gxhpc-no-such-user") == {"name": "gxhpc-no-such-user", "exists": False}


def test_sha256_of(tmp_path):
    target = tmp_path / "key"
    target.write_bytes(b"secret")
    assert cg.sha256_of(str(target)) == "2bb80d537b1da3e38bd30361aa855686bde0eacd7162fef6a25fe97bf527a25b"
    assert cg.sha256_of(str(tmp_path / "missing")) is None


@pytest.mark.parametrize("text, version", [("3.11\n", "3.11"), ("Python 3.9.2", "3.9"), ("sh: not found", None)])
def test_python_version_of(text, version):
    assert cg.python_version_of(text) == version


def test_write_probe_and_remove_as_current_user(tmp_path):
    assert cg.write_probe(str(tmp_path), "probe", "nonce") is None
    assert (tmp_path / "probe").read_text() == "nonce"
    assert oct((tmp_path / "probe").stat().st_mode & 0o777) == "0o644"
    # The name is unique per run: an existing file is an error, not overwritten.
    assert cg.write_probe(str(tmp_path), "probe", "other") is not None
    assert cg.remove_probe(str(tmp_path / "probe")) is None
    assert not (tmp_path / "probe").exists()
    assert cg.remove_probe(str(tmp_path / "probe")) is None


def test_write_probe_reports_why_it_failed(tmp_path):
    error = cg.write_probe(str(tmp_path / "missing"), "probe", "nonce")
    assert "No such file" in error


@pytest.mark.skipif(os.geteuid() != 0, reason="writing as another user needs root")
def test_write_probe_as_another_user_then_as_root():
    # A directory the user may write gets the user's file; one it may not (mode 0755) gets root's.
    with tempfile.TemporaryDirectory(dir="/tmp") as shared:
        os.chmod(shared, 0o777)  # noqa: S103 - a directory any user may write is the point
        assert cg.write_probe(shared, "probe", "nonce", uid=65534, gid=65534) is None
        assert os.stat(os.path.join(shared, "probe")).st_uid == 65534
        os.chmod(shared, 0o755)  # noqa: S103
        assert cg.remove_probe(os.path.join(shared, "probe"), 65534, 65534) is None
        assert cg.write_probe(shared, "probe", "nonce", uid=65534, gid=65534) is None
        assert os.stat(os.path.join(shared, "probe")).st_uid == 0


def test_probe_script_reads_back_what_was_written(tmp_path):
    shared = tmp_path / "shared dir"
    empty = tmp_path / "empty"
    shared.mkdir()
    empty.mkdir()
    (shared / "probe-x").write_text("nonce123")
    script = cg.probe_script([str(shared), str(empty), str(tmp_path / "gone")], "probe-x", "python3")
    out = subprocess.run(["/bin/sh", "-c", script], capture_output=True, text=True, check=True).stdout
    parsed = cg.parse_probe_output(out)
    assert parsed["paths"][str(shared)] == {"state": "read", "value": "nonce123"}
    assert parsed["paths"][str(empty)]["state"] == "absent"
    assert parsed["paths"][str(tmp_path / "gone")]["state"] == "nodir"
    assert parsed["uid"] == str(os.getuid())
    assert parsed["python"] and parsed["python"].count(".") == 1
    assert parsed["host"]


def test_run_command_as_reports_missing_commands_and_timeouts():
    user = cg.user_facts("root") if os.geteuid() == 0 else {"name": "me", "home": "/", "uid": os.getuid()}
    assert cg.run_command_as(["gxhpc-no-such-command"], user, timeout=5)["rc"] == 127
    assert cg.run_command_as(["sleep", "5"], user, timeout=0.2)["rc"] == 124
    assert cg.run_command_as(["sh", "-c", "echo $USER"], user, timeout=5)["stdout"].strip() == user["name"]


# --- evaluation ----------------------------------------------------------------------------------------


def host_facts(node_name, uid=1450, shell="/bin/bash", python="3.11", key=KEY, conf=CONF, clock=1000.0, paths=None):
    return {
        "node_name": node_name,
        "paths": paths
        if paths is not None
        else {
            p["path"]: {"exists": True, "fstype": "nfs4", "source": "nas:/g", "mount_options": ["noac"]} for p in PATHS
        },
        "users": {
            "galaxy": {"exists": True, "uid": uid, "gid": 1450, "shell": shell, "shell_executable": True},
        },
        "python": {"command": "python3", "version": python},
        "hashes": {"munge_key": key, "slurm_conf": conf},
        "clock": clock,
    }


def probe_of(*nodes):
    """What cluster_job_probe returns on the Galaxy host "galaxy" when a job on each node read its probe file."""
    job = {"rc": 0, "stdout": "", "stderr": "", "uid": "1450", "gid": "1450", "python": "3.11"}
    job["paths"] = {p["path"]: {"state": "read", "value": "n0nce"} for p in PATHS}
    return {
        "galaxy": {
            "nonce": "n0nce",
            "probe_name": ".gxhpc-cluster-check-n0nce",
            "write_errors": {},
            "nodes": {node: dict(copy.deepcopy(job), host=node) for node in nodes},
            "submit": {"galaxy": {"rc": 0, "output": "sbatch: Job 5 to start at now"}},
        }
    }


def healthy():
    hosts = {
        "galaxy": {"roles": ["galaxy", "submit"], "facts": host_facts("galaxy")},
        "ctl": {"roles": ["controller"], "facts": {"hashes": {"munge_key": KEY, "slurm_conf": CONF}, "clock": 1001}},
        "node1": {"roles": ["exec"], "facts": host_facts("node1")},
        "node2": {"roles": ["exec"], "facts": host_facts("node2", clock=999.5)},
    }
    return hosts, probe_of("node1", "node2")


def names(report):
    return sorted((f["name"], f["host"]) for f in report["failures"])


def test_healthy_cluster_has_no_failures():
    hosts, probes = healthy()
    report = cc.evaluate(hosts, probes, dict(SETTINGS, reference_host="ctl"))
    assert report["failures"] == [] and report["warnings"] == []
    assert set(report["rows"]) == {"galaxy", "ctl", "node1", "node2"}
    assert all(row[1] == "ok" for rows in report["rows"].values() for row in rows)
    checks = [row[0] for row in report["rows"]["node1"]]
    assert "path job_working_directory" in checks and "munge.key" in checks and "clock" in checks
    details = {row[0]: row[2] for row in report["rows"]["node1"]}
    assert details["path job_working_directory"].endswith("; shared with galaxy")


def test_munge_key_hash_is_never_shown():
    hosts, probes = healthy()
    report = cc.evaluate(hosts, probes, SETTINGS)
    text = "\n".join(line for rows in report["rows"].values() for row in rows for line in row)
    assert KEY not in text and KEY[:12] not in text


def test_path_missing_on_a_node():
    hosts, probes = healthy()
    del hosts["node2"]["facts"]["paths"]["/srv/galaxy/var/jobs"]
    probes["galaxy"]["nodes"]["node2"]["paths"]["/srv/galaxy/var/jobs"] = {"state": "nodir", "value": ""}
    report = cc.evaluate(hosts, probes, SETTINGS)
    assert names(report) == [("shared_path_missing", "node2")]
    failure = next(f for f in report["failures"] if f["name"] == "shared_path_missing")
    assert "/srv/galaxy/var/jobs" in failure["detail"] and "Mount the shared filesystem on node2" in failure["fix"]


def single_node():
    """One host that is the Galaxy server, the controller and the only exec node (the GTN tutorial's)."""
    facts = dict(host_facts("galaxy"), hashes={"munge_key": KEY, "slurm_conf": CONF})
    return {"galaxy": {"roles": ["galaxy", "controller", "exec"], "facts": facts}}, probe_of("galaxy")


def test_single_node_is_healthy():
    hosts, probes = single_node()
    assert cc.evaluate(hosts, probes, SETTINGS)["failures"] == []


def test_path_missing_on_the_galaxy_server_itself_is_named_once_and_not_as_a_mount():
    """On one host there is nothing to mount: the fix says to create the directory, and the probe that could
    not be written into the missing directory is not a second failure."""
    hosts, probes = single_node()
    del hosts["galaxy"]["facts"]["paths"]["/srv/galaxy/var/jobs"]
    probes["galaxy"]["write_errors"] = {"/srv/galaxy/var/jobs": "No such file or directory"}
    probes["galaxy"]["nodes"]["galaxy"]["paths"]["/srv/galaxy/var/jobs"] = {"state": "nodir", "value": ""}
    report = cc.evaluate(hosts, probes, SETTINGS)
    assert names(report) == [("shared_path_missing", "galaxy")]
    fix = report["failures"][0]["fix"]
    assert "Mount" not in fix and "Create /srv/galaxy/var/jobs on galaxy" in fix, fix
    rows = [r for r in report["rows"]["galaxy"] if r[1] == "FAIL"]
    assert len(rows) == 1, rows


def test_path_missing_on_a_galaxy_server_and_a_node_names_each_host_once():
    hosts, probes = healthy()
    for host in ("galaxy", "node1"):
        del hosts[host]["facts"]["paths"]["/srv/galaxy/server"]
    probes["galaxy"]["write_errors"] = {"/srv/galaxy/server": "No such file or directory"}
    report = cc.evaluate(hosts, probes, SETTINGS)
    assert names(report) == [("shared_path_missing", "galaxy"), ("shared_path_missing", "node1")]
    fixes = {f["host"]: f["fix"] for f in report["failures"]}
    assert fixes["galaxy"].startswith("Create") and fixes["node1"].startswith("Mount the shared filesystem on node1")


def test_path_exists_but_is_not_the_shared_one():
    hosts, probes = healthy()
    probes["galaxy"]["nodes"]["node1"]["paths"]["/srv/galaxy/server"] = {"state": "absent", "value": ""}
    report = cc.evaluate(hosts, probes, SETTINGS)
    assert names(report) == [("shared_path_not_shared", "node1")]
    assert "galaxy_server_dir" in report["failures"][0]["detail"]
    row = next(r for r in report["rows"]["node1"] if r[0] == "path galaxy_server_dir")
    assert row[1] == "FAIL" and row[2].endswith("NOT shared with galaxy")


def test_probe_with_other_content_is_not_shared():
    hosts, probes = healthy()
    probes["galaxy"]["nodes"]["node1"]["paths"]["/srv/galaxy/server"] = {"state": "read", "value": "stale"}
    assert names(cc.evaluate(hosts, probes, SETTINGS)) == [("shared_path_not_shared", "node1")]


def test_probe_write_error_is_named_and_not_blamed_on_nodes():
    hosts, probes = healthy()
    probes["galaxy"]["write_errors"] = {"/srv/galaxy/server": "Permission denied"}
    for job in probes["galaxy"]["nodes"].values():
        job["paths"]["/srv/galaxy/server"] = {"state": "absent", "value": ""}
    assert names(cc.evaluate(hosts, probes, SETTINGS)) == [("shared_path_probe_failed", "galaxy")]


def test_job_that_did_not_run():
    hosts, probes = healthy()
    probes["galaxy"]["nodes"]["node2"] = {
        "rc": 1,
        "stdout": "",
        "stderr": "srun: error: Unable to allocate resources: Invalid node name specified\n",
        "paths": {},
    }
    report = cc.evaluate(hosts, probes, SETTINGS)
    assert names(report) == [("node_job_failed", "node2")]
    assert "Invalid node name" in report["failures"][0]["detail"]


@pytest.mark.parametrize("mode, failed, warned", [("warn", [], 3), ("fail", 3, 0), ("ignore", [], 0)])
def test_nfs_attribute_caching_modes(mode, failed, warned):
    hosts, probes = healthy()
    for host in ("galaxy", "node1", "node2"):
        hosts[host]["facts"]["paths"]["/srv/galaxy/server"]["attribute_caching"] = True
    report = cc.evaluate(hosts, probes, dict(SETTINGS, nfs_attribute_caching=mode))
    assert len(report["warnings"]) == warned
    assert (len(report["failures"]) if failed else []) == failed
    for item in report["warnings"] + report["failures"]:
        assert item["name"] == "nfs_attribute_caching"
        assert "noac" in item["fix"] and "retry_job_output_collection" in item["fix"]


def test_uid_mismatch_names_the_host_and_the_expected_ids():
    hosts, probes = healthy()
    hosts["node2"]["facts"]["users"]["galaxy"]["uid"] = 1451
    report = cc.evaluate(hosts, probes, SETTINGS)
    assert names(report) == [("uid_mismatch", "node2")]
    assert "uid 1450, gid 1450" in report["failures"][0]["fix"]


@pytest.mark.parametrize("shell", ["/usr/sbin/nologin", "/bin/false", "/sbin/nologin"])
def test_login_shell(shell):
    hosts, probes = healthy()
    hosts["node1"]["facts"]["users"]["galaxy"]["shell"] = shell
    assert names(cc.evaluate(hosts, probes, SETTINGS)) == [("login_shell", "node1")]


def test_shell_that_does_not_exist_is_no_login_shell():
    hosts, probes = healthy()
    galaxy = hosts["node1"]["facts"]["users"]["galaxy"]
    galaxy["shell"], galaxy["shell_executable"] = "/bin/zsh", False
    assert names(cc.evaluate(hosts, probes, SETTINGS)) == [("login_shell", "node1")]


def test_real_users_are_checked_too():
    hosts, probes = healthy()
    for host in ("galaxy", "node1"):
        hosts[host]["facts"]["users"]["alice"] = {
            "exists": True,
            "uid": 2000,
            "gid": 2000,
            "shell": "/bin/bash",
            "shell_executable": True,
        }
    report = cc.evaluate(hosts, probes, dict(SETTINGS, users=["alice"]))
    assert names(report) == [("user_missing", "node2")]


def test_python_mismatch():
    hosts, probes = healthy()
    hosts["node1"]["facts"]["python"]["version"] = "3.9"
    report = cc.evaluate(hosts, probes, SETTINGS)
    assert names(report) == [("python_mismatch", "node1")]
    assert "Install Python 3.11 on node1" in report["failures"][0]["fix"]


def test_submit_failed():
    hosts, probes = healthy()
    probes["galaxy"]["submit"]["galaxy"] = {"rc": 1, "output": "sbatch: error: Invalid user id"}
    report = cc.evaluate(hosts, probes, SETTINGS)
    assert names(report) == [("submit_failed", "galaxy")]
    assert "Invalid user id" in report["failures"][0]["detail"]


@pytest.mark.parametrize("key, name", [("munge_key", "munge_key_mismatch"), ("slurm_conf", "slurm_conf_mismatch")])
def test_hash_mismatch_against_the_reference_host(key, name):
    hosts, probes = healthy()
    hosts["node2"]["facts"]["hashes"][key] = "f" * 64
    report = cc.evaluate(hosts, probes, dict(SETTINGS, reference_host="ctl"))
    assert names(report) == [(name, "node2")]


def test_reference_host_wins_over_the_majority():
    hosts, probes = healthy()
    hosts["ctl"]["facts"]["hashes"]["munge_key"] = "f" * 64
    report = cc.evaluate(hosts, probes, dict(SETTINGS, reference_host="ctl"))
    assert names(report) == [("munge_key_mismatch", h) for h in ("galaxy", "node1", "node2")]


def test_missing_key_is_a_mismatch():
    hosts, probes = healthy()
    hosts["node1"]["facts"]["hashes"]["munge_key"] = None
    report = cc.evaluate(hosts, probes, SETTINGS)
    assert names(report) == [("munge_key_mismatch", "node1")]
    assert "missing or unreadable" in report["failures"][0]["detail"]


def test_clock_skew_beyond_tolerance_and_window():
    hosts, probes = healthy()
    hosts["node1"]["facts"]["clock"] = 1000 + 301 + 2.5
    assert names(cc.evaluate(hosts, probes, SETTINGS)) == [("clock_skew", "node1")]
    # Within tolerance plus the gathering window: fine.
    hosts["node1"]["facts"]["clock"] = 1000 + 301
    assert names(cc.evaluate(hosts, probes, SETTINGS)) == []


def test_several_failures_are_all_named():
    hosts, probes = healthy()
    hosts["node1"]["facts"]["users"]["galaxy"]["shell"] = "/usr/sbin/nologin"
    hosts["node2"]["facts"]["users"]["galaxy"]["uid"] = 1451
    hosts["node2"]["facts"]["hashes"]["munge_key"] = "f" * 64
    report = cc.evaluate(hosts, probes, SETTINGS)
    assert names(report) == [
        ("login_shell", "node1"),
        ("munge_key_mismatch", "node2"),
        ("uid_mismatch", "node2"),
    ]
    lines = cc.failure_lines(report["failures"])
    assert all(" Fix: " in line for line in lines)


def test_every_failure_name_has_a_troubleshooting_entry():
    docs = os.path.join(os.path.dirname(__file__), "..", "..", "..", "..", "docs", "troubleshooting.md")
    with open(docs, encoding="utf-8") as handle:
        text = handle.read()
    for name in cc.FAILURES:
        assert f"## `{name}`" in text, name


def test_bad_input():
    hosts, probes = healthy()
    with pytest.raises(cc.ClusterCheckError, match="hosts"):
        cc.evaluate({}, probes, SETTINGS)
    with pytest.raises(cc.ClusterCheckError, match="nfs_attribute_caching"):
        cc.evaluate(hosts, probes, dict(SETTINGS, nfs_attribute_caching="maybe"))
    with pytest.raises(cc.ClusterCheckError, match="paths"):
        cc.evaluate(hosts, probes, {"galaxy_user": "galaxy"})
    with pytest.raises(cc.ClusterCheckError, match="unknown failure"):
        cc.failure("no_such_failure", "h", "d")


def test_evaluate_does_not_modify_its_input():
    hosts, probes = healthy()
    before = copy.deepcopy((hosts, probes))
    cc.evaluate(hosts, probes, SETTINGS)
    assert (hosts, probes) == before


def test_render_table():
    lines = cc.render_table("node1", ["exec"], [("path server", "ok", "/srv nfs4"), ("clock", "FAIL", "+400 s")])
    assert lines[0] == "node1 (exec)"
    assert lines[1].startswith("CHECK") and "RESULT" in lines[1]
    assert lines[3].split() == ["clock", "FAIL", "+400", "s"]


def test_a_host_with_no_role_is_listed_not_checked():
    """A spare host in the play (no Slurm role, not Galaxy) has no key."""
    hosts, probes = healthy()
    hosts["spare"] = {"roles": [], "facts": {"hashes": {"munge_key": None, "slurm_conf": None}, "clock": 5000}}
    report = cc.evaluate(hosts, probes, dict(SETTINGS, reference_host="ctl"))
    assert report["failures"] == [] and report["warnings"] == []
    assert report["rows"]["spare"] == [("cluster", "skip", "no Slurm or Galaxy role: not checked")]


def test_configless_node_says_where_its_slurm_conf_came_from():
    hosts, probes = healthy()
    hosts["node1"]["facts"]["slurm_conf_source"] = "configless"
    report = cc.evaluate(hosts, probes, dict(SETTINGS, reference_host="ctl"))
    assert report["failures"] == []
    details = {row[0]: row[2] for row in report["rows"]["node1"]}
    assert details["slurm.conf"].endswith("same (configless: fetched from slurmctld)")
