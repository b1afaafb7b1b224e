"""An exec host as the slurm role hands it to slurm_cluster.node_list, for the tests that size a cluster from one."""


def exec_host(name, cpus, memory_mb, **reservations):
    """Host ``name`` (inventory name and hostname alike) on which slurmd -C detected ``cpus`` and ``memory_mb``
    (as text, as the role reads them), with the role's default 5 % memory margin; ``reservations``: Galaxy's
    reserved_cores and reserved_memory_mb."""
    return {
        "inventory_hostname": name,
        "hostname": name,
        "detected": {"NodeName": name, "CPUs": str(cpus), "RealMemory": str(memory_mb)},
        "margin_percent": 5,
        **reservations,
    }
