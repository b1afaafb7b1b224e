"""TPV destinations sized from the cluster: the slurm role's resources fact and the destinations made of it."""

import pytest
from slurm_hosts import exec_host

from ansible_collections.gxhpc.cluster.plugins.module_utils import slurm_cluster
from ansible_collections.gxhpc.cluster.plugins.module_utils.job_conf_tpv import TPVDestinationsError, tpv_destinations

NODES = [
    {"name": "c1", "CPUs": 2, "RealMemory": 1800, "State": "UNKNOWN"},
    {"name": "big[1-2]", "CPUs": 16, "RealMemory": 64000},
    {"name": "other", "RealMemory": 1000},
]
PARTITIONS = [
    {"name": "main", "Nodes": "ALL", "Default": True},
    {"name": "small", "Nodes": "c1"},
    {"name": "large", "Nodes": ["big[1-2]"]},
]


def test_cluster_resources_from_the_node_lines():
    resources = slurm_cluster.cluster_resources(NODES, PARTITIONS)
    assert resources["nodes"] == [
        {"name": "c1", "cpus": 2, "memory_mb": 1800},
        {"name": "big1", "cpus": 16, "memory_mb": 64000},
        {"name": "big2", "cpus": 16, "memory_mb": 64000},
        {"name": "other", "cpus": None, "memory_mb": 1000},
    ]
    by_name = {p["name"]: p for p in resources["partitions"]}
    assert by_name["main"] == {
        "name": "main",
        "nodes": ["c1", "big1", "big2", "other"],
        "default": True,
        "max_cpus": 16,
        "max_memory_mb": 64000,
    }
    assert by_name["small"]["max_cpus"] == 2 and by_name["small"]["max_memory_mb"] == 1800
    assert by_name["small"]["default"] is False
    assert by_name["large"]["nodes"] == ["big1", "big2"]


def test_cluster_resources_use_what_node_list_leaves_after_the_galaxy_reservation():
    host = exec_host("n1", cpus=4, memory_mb=4000, reserved_cores=1, reserved_memory_mb=500)
    nodes = slurm_cluster.node_list([], [host])
    resources = slurm_cluster.cluster_resources(nodes, [{"name": "main", "Nodes": "ALL"}])
    assert resources["partitions"][0]["max_cpus"] == 3
    assert resources["partitions"][0]["max_memory_mb"] == 3800 - 500


def test_tpv_destinations_are_sized_from_the_fact():
    config = tpv_destinations(slurm_cluster.cluster_resources(NODES, PARTITIONS), runner="slurm")
    small = config["destinations"]["slurm_small"]
    assert small["runner"] == "slurm"
    assert small["max_accepted_cores"] == small["max_cores"] == 2
    assert small["max_accepted_mem"] == small["max_mem"] == 1.75  # 1800 MB, rounded down to 0.01 GB
    assert small["params"]["native_specification"] == (
        "--nodes=1 --ntasks=1 --cpus-per-task={cores} --mem={int(mem * 1024)} --partition=small"
    )
    assert config["destinations"]["slurm_large"]["max_accepted_mem"] == 62.5
    assert set(config["destinations"]) == {"slurm_main", "slurm_small", "slurm_large"}
    # TPV's --mem never exceeds what Slurm grants
    assert int(small["max_mem"] * 1024) <= 1800


def test_tpv_destinations_options():
    resources = slurm_cluster.cluster_resources(NODES, PARTITIONS)
    config = tpv_destinations(
        resources,
        runner="drmaa",
        prefix="",
        partitions=["small"],
        extra_params={"tmp_dir": True},
        scheduling={"require": ["slurm"]},
    )
    assert list(config["destinations"]) == ["small"]
    small = config["destinations"]["small"]
    assert small["runner"] == "drmaa" and small["params"]["tmp_dir"] is True
    assert small["scheduling"] == {"require": ["slurm"]}


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"resources": {"nodes": []}}, "resources must be the slurm role's slurm_cluster_resources fact"),
        ({"partitions": ["gpu"]}, "partitions: gpu not in the cluster (partitions: main, small, large)"),
        ({"extra_params": {"native_specification": "-p x"}}, "extra_params.native_specification: is made from"),
        ({"runner": ""}, "runner must be the id of the job conf's Slurm runner"),
    ],
)
def test_tpv_destinations_refuse_bad_input(kwargs, message):
    arguments = {"resources": slurm_cluster.cluster_resources(NODES, PARTITIONS)}
    arguments.update(kwargs)
    with pytest.raises(TPVDestinationsError) as caught:
        tpv_destinations(**arguments)
    assert str(caught.value).startswith(message), str(caught.value)


def test_a_partition_without_sizes_is_refused():
    resources = slurm_cluster.cluster_resources([{"name": "x"}], [{"name": "p", "Nodes": "x"}])
    with pytest.raises(TPVDestinationsError, match="partition p: the cluster fact has no CPUs/memory"):
        tpv_destinations(resources)
