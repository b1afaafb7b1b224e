import re

import pytest

from ansible_collections.gxhpc.cluster.plugins.module_utils import slurm_conf as sc

SLURMD_C = (
    "NodeName=node1 CPUs=8 Boards=1 SocketsPerBoard=2 CoresPerSocket=4 ThreadsPerCore=1 RealMemory=32000\n"
    "UpTime=0-01:02:03\n"
)


def test_render_values():
    assert sc.render_value(True) == "YES"
    assert sc.render_value(False) == "NO"
    assert sc.render_value(["a", "b"]) == "a,b"
    assert sc.render_value(6817) == "6817"


def test_render_sorted_and_skips_none():
    text = sc.render({"b": 1, "A": "x", "Gone": None}, header="# managed")
    assert text == "# managed\n\nA=x\nb=1\n"


def test_render_backup_controllers_one_line_each():
    text = sc.render({"SlurmctldHost": ["ctl1", "ctl2"]})
    assert text == "SlurmctldHost=ctl1\nSlurmctldHost=ctl2\n"


def test_render_nodes_and_partitions():
    text = sc.render(
        {"ClusterName": "c"},
        nodes=[{"name": "n[1-2]", "CPUs": 2, "RealMemory": 1000}],
        partitions=[{"name": "main", "Nodes": "ALL", "Default": True}],
    )
    assert "NodeName=n[1-2] CPUs=2 RealMemory=1000\n" in text
    assert "PartitionName=main Default=YES Nodes=ALL\n" in text


@pytest.mark.parametrize(
    "config, message",
    [
        ({"Bad Key": 1}, "slurm_config: 'Bad Key' is not a slurm.conf parameter name"),
        ({"Key": "a\nb"}, "slurm_config.Key: 'a\\nb' contains a line break"),
    ],
)
def test_render_rejects(config, message):
    with pytest.raises(sc.SlurmConfError, match=re.escape(message)):
        sc.render(config)


def test_entity_needs_name():
    with pytest.raises(sc.SlurmConfError, match="slurm_nodes: each entry needs a 'name'"):
        sc.render({}, nodes=[{"CPUs": 2}])


def test_compare_reconfigure_only():
    old = sc.render({"MaxJobCount": 10, "MinJobAge": 300}, nodes=[{"name": "n1"}])
    new = sc.render({"MaxJobCount": 10, "MinJobAge": 30}, nodes=[{"name": "n1"}])
    result = sc.compare(old, new)
    assert result == {
        "changed_keys": ["minjobage"],
        "nodes_changed": False,
        "partitions_changed": False,
        "restart_required": False,
    }


def test_compare_node_change_needs_restart():
    old = sc.render({}, nodes=[{"name": "n1", "CPUs": 2}])
    new = sc.render({}, nodes=[{"name": "n1", "CPUs": 4}])
    assert sc.compare(old, new)["restart_required"] is True
    assert sc.compare(old, new)["nodes_changed"] is True


def test_compare_restart_key():
    assert sc.compare("SelectType=select/linear\n", "SelectType=select/cons_tres\n")["restart_required"]


def test_parse_slurmd_c():
    fields = sc.parse_slurmd_c(SLURMD_C)
    assert fields["NodeName"] == "node1"
    assert fields["CPUs"] == 8
    assert fields["RealMemory"] == 32000
    assert "UpTime" not in fields


def test_parse_slurmd_c_garbage():
    with pytest.raises(sc.SlurmConfError, match="slurmd -C printed no NodeName"):
        sc.parse_slurmd_c("error: something")


@pytest.mark.parametrize(
    "version, expected", [("22.05.8", (22, 5, 8)), ("slurm 24.11.5", (24, 11, 5)), ("23.11", (23, 11, 0))]
)
def test_version_tuple(version, expected):
    assert sc.version_tuple(version) == expected


def test_normalize_cons_res_on_new_slurm():
    config, warnings = sc.normalize_config({"SelectType": "select/cons_res", "CryptoType": "crypto/munge"}, "24.11.5")
    assert config == {"SelectType": "select/cons_tres"}
    assert any("select/cons_res was removed in Slurm 23.11" in w for w in warnings)


def test_normalize_keeps_cons_res_on_old_slurm():
    config, warnings = sc.normalize_config({"SelectType": "select/cons_res"}, "22.05.8")
    assert config == {"SelectType": "select/cons_res"}
    assert warnings == []


def test_normalize_fastschedule_from_old_gtn():
    config, warnings = sc.normalize_config({"FastSchedule": 2}, "22.05.8")
    assert config == {"SlurmdParameters": "config_overrides"}
    assert "FastSchedule was removed in Slurm 20.02" in warnings[0]
