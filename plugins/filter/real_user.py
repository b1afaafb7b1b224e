# Copyright: gxhpc.cluster contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The galaxy_real_user role's plan, for its preflight, and its galaxy.yml settings, for tasks_from: publish."""

# Documentation: galaxy_real_user_plan.yml and real_user_galaxy_config.yml beside this file. The rules are in
# plugins/module_utils/galaxy_real_user_plan.py.

from ansible.errors import AnsibleFilterError

from ansible_collections.gxhpc.cluster.plugins.module_utils import galaxy_real_user_plan as plan


def _settings(name, settings):
    if not isinstance(settings, dict):
        raise AnsibleFilterError(f"{name} expects a dict of the role's variables, got {type(settings).__name__}")
    return settings


def galaxy_real_user_plan(settings, facts=None):
    """The galaxy_real_user role's plan; see module_utils/galaxy_real_user_plan.py."""
    return plan.plan(_settings("galaxy_real_user_plan", settings), facts or {})


def real_user_galaxy_config(settings, script_names, galaxy_job_working_directory=None):
    """The settings galaxy_real_user merges into galaxy.yml (published as galaxy_real_user_galaxy_config)."""
    return plan.galaxy_config(
        _settings("real_user_galaxy_config", settings), script_names, galaxy_job_working_directory
    )


class FilterModule:
    def filters(self):
        return {"galaxy_real_user_plan": galaxy_real_user_plan, "real_user_galaxy_config": real_user_galaxy_config}
