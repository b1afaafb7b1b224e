"""The host_state comparisons: each says a task would change nothing only when it surely would not."""

import pytest

from ansible_collections.gxhpc.cluster.plugins.module_utils import host_state as hs

SLURM = {"uid": 64030, "gid": 64030, "home": "/nonexistent", "shell": "/usr/sbin/nologin", "comment": "Slurm"}


def test_group_ok():
    assert hs.group_ok({"name": "slurm", "gid": 64030}, {"gid": 64030})
    assert hs.group_ok({"name": "slurm", "gid": None}, {"gid": 5})
    assert not hs.group_ok({"name": "slurm", "gid": 64030}, {"gid": 5})
    assert not hs.group_ok({"name": "slurm"}, None)


@pytest.mark.parametrize(
    ("wanted", "ok"),
    [
        ({"name": "slurm", "uid": 64030, "group": "slurm", "home": "/nonexistent", "shell": "/usr/sbin/nologin"}, True),
        ({"name": "slurm", "uid": "64030", "comment": "Slurm"}, True),
        ({"name": "slurm", "uid": 1}, False),
        ({"name": "slurm", "group": "slurm"}, True),
        ({"name": "slurm", "home": "/var/lib/slurm"}, False),
        ({"name": "slurm", "shell": "/bin/sh"}, False),
        ({"name": "slurm", "comment": "Other"}, False),
    ],
)
def test_user_ok(wanted, ok):
    assert hs.user_ok(wanted, SLURM, 64030) is ok


def test_user_ok_absent_or_other_group():
    assert not hs.user_ok({"name": "slurm"}, None, 64030)
    assert not hs.user_ok({"name": "slurm", "group": "slurm"}, SLURM, None)
    assert not hs.user_ok({"name": "slurm", "group": "slurm"}, SLURM, 100)


def test_packages():
    out = "munge\tii \nslurmd\tii \nslurmctld\trc \nlibc6:amd64\tii \n"
    installed = hs.parse_dpkg_query(out)
    assert installed == {"munge", "slurmd", "libc6"}
    assert hs.packages_missing(["munge", "slurmd"], installed) == []
    assert hs.packages_missing(["munge", "slurmctld", "sackd"], installed) == ["slurmctld", "sackd"]
    # A version or an architecture: apt decides.
    assert hs.packages_missing(["munge=0.5.15-2", "libc6:amd64"], installed) == ["munge=0.5.15-2", "libc6:amd64"]


SHOW = (
    "Id=munge.service\nLoadState=loaded\nActiveState=active\nUnitFileState=enabled\n\n"
    "Id=slurmd.service\nLoadState=loaded\nActiveState=inactive\nUnitFileState=disabled\n\n"
    "Id=sackd.service\nLoadState=not-found\nActiveState=inactive\nUnitFileState=\n"
)


def test_services():
    states = hs.parse_systemctl_show(SHOW, ["munge", "slurmd", "sackd"])
    assert states["munge"] == {"load": "loaded", "active": "active", "enabled": "enabled"}
    assert [hs.service_ok(states[u]) for u in ("munge", "slurmd", "sackd")] == [True, False, False]
    assert not hs.service_ok({"load": "loaded", "active": "active", "enabled": "disabled"})
    assert not hs.service_ok({"load": "loaded", "active": "failed", "enabled": "enabled"})


def test_services_unparsable():
    # Fewer blocks than units: nothing is known.
    states = hs.parse_systemctl_show("Id=munge.service\nActiveState=active\n", ["munge", "slurmd"])
    assert not any(hs.service_ok(s) for s in states.values())
    assert not hs.service_ok(hs.parse_systemctl_show("", ["munge"])["munge"])


FOUND = {"kind": "file", "owner": "root", "group": "root", "mode": "0644"}


def test_path_ok():
    assert hs.path_ok({"owner": "root", "group": "root", "mode": "0644"}, FOUND, "file")
    assert hs.path_ok({"mode": "644"}, FOUND, "file")
    assert hs.path_ok({"mode": 0o644}, FOUND, "file") is False  # an int is read as octal digits of its decimal form
    assert not hs.path_ok({"mode": "0600"}, FOUND, "file")
    assert not hs.path_ok({"owner": "slurm"}, FOUND, "file")
    assert not hs.path_ok({"group": "slurm"}, FOUND, "file")
    assert not hs.path_ok({}, FOUND, "directory")
    assert not hs.path_ok({}, None, "file")
    assert not hs.path_ok({"mode": "u=rw,g=r,o=r"}, FOUND, "file")


def test_file_ok():
    state = {"contents": {"/etc/default/slurmd": "X=1\n"}, "stats": {"/etc/default/slurmd": FOUND}}
    assert hs.file_ok(state, "/etc/default/slurmd", "X=1\n", "root", "root", "0644")
    assert not hs.file_ok(state, "/etc/default/slurmd", "X=2\n", "root", "root", "0644")
    assert not hs.file_ok(state, "/etc/default/slurmd", "X=1\n", "root", "root", "0600")
    assert not hs.file_ok(state, "/etc/default/sackd", "X=1\n")
    assert not hs.file_ok({}, "/etc/default/slurmd", "X=1\n")


def test_stat_ok():
    state = {
        "stats": {
            "/usr/local/src/slurm-drmaa/slurm-drmaa-1.1.6.tar.gz": FOUND,
            "/usr/local/src": dict(FOUND, kind="directory", mode="0755"),
        }
    }
    tarball = "/usr/local/src/slurm-drmaa/slurm-drmaa-1.1.6.tar.gz"
    assert hs.stat_ok(state, tarball, "file", "root", "root", "0644")
    assert not hs.stat_ok(state, tarball, "file", "root", "root", "0600")
    assert not hs.stat_ok(state, tarball, "file", "slurm")
    assert not hs.stat_ok(state, tarball, "directory")
    assert hs.stat_ok(state, "/usr/local/src", "directory", "root", "root", "0755")
    assert not hs.stat_ok(state, "/usr/local/src/other.tar.gz", "file")
    assert not hs.stat_ok({}, tarball, "file")
