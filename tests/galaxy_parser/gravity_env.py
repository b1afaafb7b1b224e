"""Print the environment gravity (Galaxy's process manager) gives each service of a galaxy.yml, as JSON.

Runs inside .cache/venv-galaxy-parser:  python gravity_env.py galaxy.yml STATE_DIR
The output maps each service name to {"type": ..., "environment": {...}}: what galaxyctl would write into the
service's unit (systemd) or program (supervisor).
"""

import json
import sys

from gravity.config_manager import config_manager


def main(config_file, state_dir):
    result = {}
    with config_manager(config_file=[config_file], state_dir=state_dir) as manager:
        for service in manager.get_config().services:
            for instance in getattr(service, "services", None) or [service]:
                result[instance.service_name] = {
                    "type": instance.service_type,
                    "environment": dict(instance.environment),
                }
    json.dump(result, sys.stdout, indent=1, sort_keys=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
