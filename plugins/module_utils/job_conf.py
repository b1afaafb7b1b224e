# Copyright: gxhpc.cluster contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Validate and render Galaxy job configurations (job_conf.yml and job_conf.xml): the one import for callers.

The input is a dict in Galaxy's own YAML job-conf schema (lib/galaxy/config/schemas/job_config_schema.yml):
``runners``, ``handling``, ``execution`` (``default``, ``environments``), ``tools``, ``resources``, ``limits``.
Each job lives in its own file, and this module only re-exports their public names:

- job_conf_schema: what the schema holds (runner classes and families, accepted keys, reserved params) and
  the readers of its parts (:func:`runner_family`, :func:`runner_kwds`, :func:`environment_items`, ...);
- job_conf_validate: :func:`validate`, every error at once with its path, one function per group of checks;
- job_conf_render: :func:`render`, :func:`render_yaml`, :func:`render_xml`, :func:`galaxy_typed`;
- job_conf_summary: :func:`summarize` (DRMAA and Pulsar runners, TPV), the secrets, :func:`with_drmaa_library_path`,
  :func:`with_celery_metadata`, :func:`pulsar_destinations` and :func:`uses_shared_filesystem` (the readiness check's).
"""

from ansible_collections.gxhpc.cluster.plugins.module_utils.job_conf_render import (
    HAS_YAML,
    JobConfRenderError,
    format_for_path,
    galaxy_typed,
    render,
    render_xml,
    render_yaml,
)
from ansible_collections.gxhpc.cluster.plugins.module_utils.job_conf_schema import (
    CLI_SHELL_PLUGINS,
    DRMAA_FAMILIES,
    KNOWN_RUNNER_CLASSES,
    KNOWN_RUNNER_MODULES,
    TPV_FORCED,
    environment_items,
    environment_params,
    runner_family,
    runner_kwds,
)
from ansible_collections.gxhpc.cluster.plugins.module_utils.job_conf_summary import (
    pulsar_destinations,
    secret_values,
    secrets,
    summarize,
    uses_shared_filesystem,
    with_celery_metadata,
    with_drmaa_library_path,
    world_readable_secrets,
)
from ansible_collections.gxhpc.cluster.plugins.module_utils.job_conf_validate import gravity_handler_names, validate

__all__ = [
    "CLI_SHELL_PLUGINS",
    "DRMAA_FAMILIES",
    "HAS_YAML",
    "KNOWN_RUNNER_CLASSES",
    "KNOWN_RUNNER_MODULES",
    "TPV_FORCED",
    "JobConfRenderError",
    "environment_items",
    "environment_params",
    "format_for_path",
    "galaxy_typed",
    "gravity_handler_names",
    "pulsar_destinations",
    "render",
    "render_xml",
    "render_yaml",
    "runner_family",
    "runner_kwds",
    "secret_values",
    "secrets",
    "summarize",
    "uses_shared_filesystem",
    "validate",
    "with_celery_metadata",
    "with_drmaa_library_path",
    "world_readable_secrets",
]
