"""Hand-made job configurations beyond docs/job_conf: each is valid, and Galaxy must see exactly what it says.

They cover what issue 14 found Galaxy reading differently from the input: digit strings where Galaxy needs
numbers, the top-level dynamic section, list-form environments, TPV environments, resubmits, env entries,
handler tags and plugins, limits.
"""

LOCAL = "galaxy.jobs.runners.local:LocalJobRunner"
SLURM = "galaxy.jobs.runners.slurm:SlurmJobRunner"

CASES = {
    "digit_strings": {
        "runners": {"local": {"load": LOCAL, "workers": "8"}, "slurm": {"load": SLURM, "workers": "2"}},
        "handling": {
            "assign": ["db-skip-locked"],
            "max_grab": "5",
            "ready_window_size": "50",
            "processes": {"handler0": {"tags": ["handlers"], "plugins": ["local", "slurm"]}, "handler1": None},
            "default": "handlers",
        },
        "execution": {
            "default": "slurm",
            "environments": {
                "local": {"runner": "local", "local_slots": "2"},
                "slurm": {"runner": "slurm", "native_specification": "--ntasks=1", "tags": ["cluster"]},
            },
        },
        "limits": [
            {"type": "registered_user_concurrent_jobs", "value": "4"},
            {"type": "environment_user_concurrent_jobs", "id": "slurm", "value": "2"},
            {"type": "environment_total_concurrent_jobs", "tag": "cluster", "value": "6"},
            {"type": "total_walltime", "window": "30", "value": "24:00:00"},
        ],
    },
    "dynamic_top_level": {
        "runners": {"local": {"load": LOCAL}},
        "dynamic": {"rules_module": "galaxy.jobs.rules"},
        "execution": {
            "default": "rule",
            "environments": {
                "local": {"runner": "local"},
                "rule": {"runner": "dynamic", "type": "python", "function": "map_tool"},
            },
        },
    },
    "tpv": {
        "runners": {"local": {"load": LOCAL}, "slurm": {"load": SLURM}},
        "execution": {
            "default": "tpv",
            "environments": {
                "tpv": {
                    "runner": "dynamic_tpv",
                    "tpv_config_files": "/srv/galaxy/config/tpv/destinations.yml",
                },
                "local": {"runner": "local"},
                "slurm": {"runner": "slurm"},
            },
        },
    },
    "list_form": {
        "runners": {"local": {"load": LOCAL, "workers": 2}, "slurm": {"load": SLURM}},
        "execution": {
            "default": "slurm",
            "environments": [
                {"id": "local", "runner": "local", "env": [{"file": "/etc/profile"}, {"execute": "ulimit -c 0"}]},
                {
                    "id": "slurm",
                    "runner": "slurm",
                    "params": {"native_specification": "--ntasks=2"},
                    "env": [
                        {"name": "LC_ALL", "value": "C"},
                        {"name": "TMPDIR", "value": "$_GALAXY_JOB_TMP_DIR", "raw": True},
                    ],
                    "resubmit": [{"condition": "walltime_reached", "environment": "local", "delay": 30}],
                },
            ],
        },
        "tools": [{"id": "upload1", "environment": "local"}, {"class": "local", "environment": "local"}],
    },
}
