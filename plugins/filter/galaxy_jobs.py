# Copyright: gxhpc.cluster contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The galaxy_jobs role's plan, for its preflight."""

DOCUMENTATION = r"""
---
name: galaxy_jobs
short_description: The galaxy_jobs role's plan
version_added: 0.1.0
description:
  - C(galaxy_jobs_plan(settings, facts)) - from the galaxy_jobs role's variables and what its preflight read on
    the host (C(user_exists), C(group_exists), C(galaxy_yml_is_file), C(galaxy_yml), C(venv_python_exists),
    C(libdrmaa_exists), C(check_mode), C(inventory_hostname)), a dict with C(problems) (every problem at once,
    each naming the variable), C(database_connection) and C(gravity_handlers) (from galaxy.yml),
    C(uses_drmaa), C(drmaa_runners), C(library_method) (how DRMAA_LIBRARY_PATH reaches the handlers),
    C(install_drmaa), C(install_tpv), C(install_pulsar_lib), C(runner_drmaa_library_path) and
    C(galaxy_config) (the settings the role merges into galaxy.yml).
  - C(galaxy_jobs_galaxy_config(settings, gravity_handlers)) - the same C(galaxy_config) from the role's
    variables and the handlers the site's galaxy.yml will define, for the publish entry point.
author:
  - gxhpc.cluster contributors (@gxhpc)
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.gxhpc.cluster.plugins.module_utils import galaxy_jobs_plan as plan


def galaxy_jobs_plan(settings, facts=None):
    """The galaxy_jobs role's plan; see module_utils/galaxy_jobs_plan.py."""
    if not isinstance(settings, dict):
        raise AnsibleFilterError(
            f"galaxy_jobs_plan expects a dict of the role's variables, got {type(settings).__name__}"
        )
    return plan.plan(settings, facts or {})


def galaxy_jobs_galaxy_config(settings, gravity_handlers=None):
    """The settings galaxy_jobs merges into galaxy.yml, from its variables alone (module_utils/galaxy_jobs_plan.py)."""
    if not isinstance(settings, dict):
        raise AnsibleFilterError(
            f"galaxy_jobs_galaxy_config expects a dict of the role's variables, got {type(settings).__name__}"
        )
    return plan.published_galaxy_config(settings, gravity_handlers)


class FilterModule:
    def filters(self):
        return {"galaxy_jobs_plan": galaxy_jobs_plan, "galaxy_jobs_galaxy_config": galaxy_jobs_galaxy_config}
