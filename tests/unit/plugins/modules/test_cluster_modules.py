"""The readiness check's modules, run as Ansible runs them (module args in, JSON out)."""

import hashlib
import json
import os
import pwd
import sys

import pytest
from ansible.module_utils.testing import patch_module_args

from ansible_collections.gxhpc.cluster.plugins.modules import cluster_check_report, cluster_facts, cluster_job_probe

ME = pwd.getpwuid(os.getuid()).pw_name

# Stand-ins for srun and sbatch: srun runs the job's command here, dropping its options, as Slurm
# would on the node; sbatch --test-only answers as Slurm does.
FAKE_SRUN = """#!/bin/sh
while [ $# -gt 0 ] && [ "$1" != /bin/sh ]; do
  case "$1" in --nodelist=gone) echo "srun: error: Invalid node name specified" >&2; exit 1;; esac
  shift
done
exec "$@"
"""
FAKE_SBATCH = """#!/bin/sh
echo "sbatch: Job 7 to start at 2026-01-01T00:00:00 using 1 processors on nodes node1 in partition main" >&2
"""


def run(module, capsys, args):
    with patch_module_args(args), pytest.raises(SystemExit) as exc:
        module.main()
    return exc.value.code, json.loads(capsys.readouterr().out)


def test_cluster_facts_hash_the_configless_slurm_conf_where_there_is_no_local_one(capsys, tmp_path):
    """A configless exec node has no /etc/slurm/slurm.conf: slurmd's fetched copy is what its commands read."""
    (tmp_path / "cached.conf").write_text("ClusterName=c\n")
    args = {"slurm_conf": str(tmp_path / "none.conf"), "slurm_conf_cached": str(tmp_path / "cached.conf")}
    rc, result = run(cluster_facts, capsys, dict(args, _ansible_check_mode=True))
    assert rc == 0 and result["slurm_conf_source"] == "configless"
    assert result["hashes"]["slurm_conf"] == (hashlib.sha256(b"ClusterName=c\n").hexdigest())
    (tmp_path / "none.conf").write_text("ClusterName=d\n")
    rc, result = run(cluster_facts, capsys, dict(args, _ansible_check_mode=True))
    assert result["slurm_conf_source"] == "file"


def test_cluster_facts(capsys, tmp_path):
    key = tmp_path / "munge.key"
    key.write_bytes(b"k" * 1024)
    rc, result = run(
        cluster_facts,
        capsys,
        {
            "paths": [str(tmp_path), str(tmp_path / "missing")],
            "users": [ME, "gxhpc-no-such-user"],
            "python": sys.executable,
            "munge_key": str(key),
            "slurm_conf": str(tmp_path / "slurm.conf"),
            "slurm_conf_cached": str(tmp_path / "run-slurm-conf" / "slurm.conf"),
            "_ansible_check_mode": True,
        },
    )
    assert rc == 0 and result["changed"] is False
    assert result["paths"][str(tmp_path)]["exists"] is True
    assert result["paths"][str(tmp_path / "missing")]["exists"] is False
    assert result["users"][ME]["uid"] == os.getuid()
    assert result["users"]["gxhpc-no-such-user"]["exists"] is False
    assert result["python"]["version"] == "%d.%d" % sys.version_info[:2]
    assert result["hashes"]["munge_key"] and len(result["hashes"]["munge_key"]) == 64
    assert result["hashes"]["slurm_conf"] is None and result["slurm_conf_source"] is None
    assert "k" * 16 not in json.dumps(result)
    assert result["node_name"] == result["hostname"]
    assert isinstance(result["clock"], float)


def test_cluster_facts_missing_python(capsys):
    rc, result = run(cluster_facts, capsys, {"python": "gxhpc-no-such-python"})
    assert rc == 0
    assert result["python"]["version"] is None and "not found" in result["python"]["error"]


@pytest.fixture
def fake_slurm(tmp_path, monkeypatch):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name, text in (("srun", FAKE_SRUN), ("sbatch", FAKE_SBATCH)):
        (bin_dir / name).write_text(text)
        (bin_dir / name).chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:{os.environ['PATH']}")
    return bin_dir


def test_cluster_job_probe_reads_its_probes_back_and_cleans_up(capsys, tmp_path, fake_slurm):
    shared = tmp_path / "shared"
    shared.mkdir()
    rc, result = run(
        cluster_job_probe,
        capsys,
        {"paths": [str(shared), str(tmp_path / "gone")], "nodes": ["node1", "gone"], "user": ME},
    )
    assert rc == 0 and result["changed"] is False
    node1 = result["nodes"]["node1"]
    assert node1["rc"] == 0
    assert node1["paths"][str(shared)] == {"state": "read", "value": result["nonce"]}
    assert node1["paths"][str(tmp_path / "gone")]["state"] == "nodir"
    assert str(tmp_path / "gone") in result["write_errors"]
    assert result["nodes"]["gone"]["rc"] == 1 and "Invalid node name" in result["nodes"]["gone"]["stderr"]
    assert result["submit"][ME]["rc"] == 0
    # Nothing left behind.
    assert os.listdir(shared) == []


def test_cluster_job_probe_unknown_user(capsys, tmp_path):
    rc, result = run(cluster_job_probe, capsys, {"paths": [str(tmp_path)], "nodes": ["n"], "user": "gxhpc-nobody"})
    assert rc == 1 and "user: 'gxhpc-nobody' does not exist" in result["msg"]


def report_args(**changes):
    facts = {
        "node_name": "node1",
        "paths": {"/srv/g": {"exists": True, "fstype": "nfs4", "source": "nas:/g", "mount_options": ["noac"]}},
        "users": {"galaxy": {"exists": True, "uid": 5, "gid": 5, "shell": "/bin/bash", "shell_executable": True}},
        "python": {"command": "python3", "version": "3.11"},
        "hashes": {"munge_key": "a" * 64, "slurm_conf": "b" * 64},
        "clock": 100.0,
    }
    job = {"rc": 0, "host": "node1", "uid": "5", "paths": {"/srv/g": {"state": "read", "value": "n"}}}
    args = {
        "hosts": {"galaxy": {"roles": ["galaxy"], "facts": facts}, "node1": {"roles": ["exec"], "facts": facts}},
        "probes": {"galaxy": {"nonce": "n", "probe_name": "p", "nodes": {"node1": job}, "submit": {}}},
        "paths": [{"name": "jobs", "path": "/srv/g"}],
        "galaxy_user": "galaxy",
    }
    args.update(changes)
    return args


def test_cluster_check_report_healthy(capsys):
    rc, result = run(cluster_check_report, capsys, report_args())
    assert rc == 0 and result["failures"] == [] and result["failure_lines"] == []
    assert result["tables"]["node1"][0] == "node1 (exec)"


def test_cluster_check_report_names_failures_without_failing_itself(capsys):
    args = report_args()
    args["probes"]["galaxy"]["nodes"]["node1"]["paths"]["/srv/g"] = {"state": "absent", "value": ""}
    rc, result = run(cluster_check_report, capsys, args)
    assert rc == 0
    assert [f["name"] for f in result["failures"]] == ["shared_path_not_shared"]
    assert result["failure_lines"][0].startswith("shared_path_not_shared on node1: ")


@pytest.mark.parametrize("paths", [[{"name": "x", "path": "relative"}], [{"path": "/x"}]])
def test_cluster_check_report_rejects_bad_paths(capsys, paths):
    rc, result = run(cluster_check_report, capsys, report_args(paths=paths))
    assert rc == 1 and "paths[0]" in result["msg"] and "absolute path" in result["msg"]
