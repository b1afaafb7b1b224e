#!/usr/bin/python
# Copyright: gxhpc.cluster contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: galaxy_job_conf
short_description: Write a validated Galaxy job configuration (job_conf.yml or job_conf.xml)
version_added: 0.1.0
description:
  - Validates a Galaxy job configuration given in Galaxy's own YAML job-conf schema (C(runners), C(handling),
    C(execution), C(tools), C(resources), C(limits)) and writes it as C(job_conf.yml), or as C(job_conf.xml)
    for Galaxy releases that read only XML.
  - "Galaxy accepts many broken job configurations at start-up and fails only when it dispatches a job. This
    module refuses them before they reach the server and reports every error at once, each with its path, for
    example C(execution.environments.big.runner: 'slurm2' is not a defined runner (defined: local, slurm))."
  - "Checks: environment runners, C(execution.default), C(handling.default), tools' environment, handler and
    resources, resubmit targets and limits name a defined id or tag; no duplicate ids; a default when there are
    several environments; valid C(handling.assign) methods; C(db-skip-locked) and C(db-transaction-isolation)
    have handler processes; C(db-skip-locked) is not used with SQLite; runner parameters as Galaxy's cluster
    documentation states them (drmaa, slurm, univa, pbs, cli, aws_batch, local); types as Galaxy's
    C(job_config_schema.yml) states them, digit strings written as integers where Galaxy needs numbers; C(dynamic)
    and TPV params. A C(load) inside C(galaxy.jobs.runners) that names no class Galaxy ships is an error; any
    other C(load) Galaxy does not ship is a warning."
  - On a validation error nothing is written, so the file on disk stays byte-identical.
  - The file is written atomically, and only when its text changes.
author:
  - gxhpc.cluster contributors (@gxhpc)
requirements:
  - PyYAML on the managed host for O(format=yaml) (Debian package C(python3-yaml)).
extends_documentation_fragment:
  - ansible.builtin.files
  - gxhpc.cluster.attributes.file
attributes:
  check_mode:
    details: Validates and reports what would change without writing.
  platform:
    support: full
    platforms: posix
    description: Runs on any POSIX host.
options:
  config:
    description:
      - The job configuration, a mapping in Galaxy's YAML job-conf schema (see Galaxy's
        C(lib/galaxy/config/sample/job_conf.sample.yml)).
    type: dict
    required: true
  dest:
    description:
      - Path of the job configuration file. Galaxy parses any C(job_config_file) whose name contains C(.xml) as
        XML and everything else as YAML, so the name must match O(format).
    type: path
    required: true
    aliases: [path]
  format:
    description:
      - C(yaml) writes C(job_conf.yml), C(xml) writes C(job_conf.xml) for older Galaxy releases, C(auto) picks
        the format from the name of O(dest) the way Galaxy does.
      - YAML-only features (a destination's C(shell), a handler's C(environment), nested params such as
        C(metrics) lists) make O(format=xml) fail with their paths.
    type: str
    choices: [auto, yaml, xml]
    default: auto
  database_connection:
    description:
      - Galaxy's C(database_connection), when known; enables the check that C(db-skip-locked) is not used with
        SQLite. Only its scheme is looked at.
    type: str
  gravity_handlers:
    description:
      - The C(gravity.handlers) mapping of Galaxy's C(galaxy.yml). Its handler processes count as handlers for
        the C(handling.assign) checks, and their names and pools may be used as handler ids and tags.
    type: dict
    default: {}
  drmaa_library_path:
    description:
      - Set this C(drmaa_library_path) param on every drmaa, slurm and univa runner of O(config) that does not set
        one. Galaxy's DRMAA runner exports it as C(DRMAA_LIBRARY_PATH) before importing the drmaa package, so
        the library reaches the job handlers whatever process manager starts them.
    type: path
  metadata_celery_strategy:
    description:
      - Move the metadata step of the cluster runners' jobs into Galaxy's Celery workers. Every environment of an
        enabled drmaa, slurm, univa, cli or condor runner that sets neither C(embed_metadata_in_job) nor
        C(metadata_strategy) gets C(embed_metadata_in_job=false) and C(metadata_strategy) set to this value; the
        job then runs the tool alone, and the job handler has a (warm) Celery worker set the outputs' metadata.
      - Galaxy needs C(enable_celery_tasks) and running Celery workers for it.
    type: str
    choices: [directory_celery, extended_celery]
  validate_only:
    description: Only validate; never write.
    type: bool
    default: false
  backup:
    description: Keep a timestamped copy of the previous file when it is changed.
    type: bool
    default: false
"""

EXAMPLES = r"""
- name: Write job_conf.yml for a Slurm cluster
  gxhpc.cluster.galaxy_job_conf:
    dest: /srv/galaxy/config/job_conf.yml
    owner: root
    group: galaxy
    mode: "0640"
    config:
      runners:
        local:
          load: galaxy.jobs.runners.local:LocalJobRunner
          workers: 4
        slurm:
          load: galaxy.jobs.runners.slurm:SlurmJobRunner
          drmaa_library_path: /usr/lib/slurm-drmaa/lib/libdrmaa.so.1
      handling:
        assign: [db-skip-locked]
      execution:
        default: slurm
        environments:
          local:
            runner: local
          slurm:
            runner: slurm
            native_specification: --ntasks=1 --time=02:00:00
      tools:
        - class: local
          environment: local
    gravity_handlers:
      handler:
        processes: 2
        pools: [job-handlers, workflow-schedulers]
  register: job_conf

- name: The same configuration as job_conf.xml for an older Galaxy
  gxhpc.cluster.galaxy_job_conf:
    dest: /srv/galaxy/config/job_conf.xml
    config: "{{ my_job_conf }}"
"""

RETURN = r"""
dest:
  description: The file that was managed.
  returned: always
  type: str
  sample: /srv/galaxy/config/job_conf.yml
format:
  description: The format that was written (C(yaml) or C(xml)).
  returned: always
  type: str
  sample: yaml
errors:
  description: Every validation or rendering error, each prefixed with its path.
  returned: on failure
  type: list
  elements: str
  sample: ["execution.environments.big.runner: 'slurm2' is not a defined runner (defined: local, slurm)"]
drmaa_runners:
  description: Ids of enabled runners that use the drmaa Python package (drmaa, slurm and univa runners).
  returned: success
  type: list
  elements: str
  sample: [slurm]
drmaa_library_paths:
  description: Runner id to the C(drmaa_library_path) param set on that runner.
  returned: success
  type: dict
  sample: {slurm: /usr/lib/slurm-drmaa/lib/libdrmaa.so.1}
celery_metadata_environments:
  description: The environments that O(metadata_celery_strategy) gave C(embed_metadata_in_job=false).
  returned: always
  type: list
  elements: str
  sample: [slurm]
runner_families:
  description: Runner id to the family of its runner class (C(null) for a runner Galaxy does not ship).
  returned: success
  type: dict
  sample: {local: local, slurm: slurm}
uses_tpv:
  description:
    - Whether an environment routes jobs with TPV (total-perspective-vortex), with C(runner=dynamic_tpv) or
      the dynamic runner with C(rules_module=tpv.rules). Galaxy then needs TPV in its virtualenv.
  returned: success
  type: bool
content_changed:
  description: Whether the file's text changed (as opposed to only its owner, group or mode).
  returned: success
  type: bool
backup_file:
  description: The copy of the previous file, when O(backup=true) and the file changed.
  returned: when a backup was made
  type: str
"""

import os  # noqa: E402

from ansible.module_utils.basic import AnsibleModule, missing_required_lib  # noqa: E402

from ansible_collections.gxhpc.cluster.plugins.module_utils.atomic_file import read_text, replace_text  # noqa: E402
from ansible_collections.gxhpc.cluster.plugins.module_utils.job_conf import (  # noqa: E402
    HAS_YAML,
    JobConfRenderError,
    format_for_path,
    render,
    secret_values,
    summarize,
    validate,
    with_celery_metadata,
    with_drmaa_library_path,
    world_readable_secrets,
)


class JobConfModule(AnsibleModule):
    """AnsibleModule that knows the job conf's secrets before it logs its invocation.

    AnsibleModule logs every parameter to the host's journal ("Invoked with config=...") while it starts,
    masking only no_log parameters, URL passwords and no_log_values. A Pulsar private_token is none of
    these, so the secrets join no_log_values before that log line is written.
    """

    def _log_invocation(self):
        self.no_log_values.update(secret_values(self.params.get("config")))
        super()._log_invocation()


def run_module():
    module = JobConfModule(
        argument_spec=dict(
            config=dict(type="dict", required=True),
            dest=dict(type="path", required=True, aliases=["path"]),
            format=dict(type="str", default="auto", choices=["auto", "yaml", "xml"]),
            database_connection=dict(type="str", no_log=True),
            gravity_handlers=dict(type="dict", default={}),
            drmaa_library_path=dict(type="path"),
            metadata_celery_strategy=dict(type="str", choices=["directory_celery", "extended_celery"]),
            validate_only=dict(type="bool", default=False),
            backup=dict(type="bool", default=False),
        ),
        add_file_common_args=True,
        supports_check_mode=True,
    )
    dest = module.params["dest"]
    implied = format_for_path(dest)
    fmt = module.params["format"]
    if fmt == "auto":
        fmt = implied
    result = dict(changed=False, dest=dest, format=fmt, content_changed=False)

    config = with_drmaa_library_path(module.params["config"], module.params["drmaa_library_path"])
    config, celery_environments = with_celery_metadata(config, module.params["metadata_celery_strategy"])
    result["celery_metadata_environments"] = list(celery_environments)
    # Pulsar tokens and broker passwords: masked in the diff and every message (the invocation: JobConfModule).
    module.no_log_values.update(secret_values(config))
    errors, warnings = validate(
        config,
        database_connection=module.params["database_connection"],
        gravity_handlers=module.params["gravity_handlers"],
    )
    exposed = world_readable_secrets(config, module.params["mode"])
    if exposed:
        errors.append(exposed)
    if fmt != implied:
        errors.append(
            f"dest: Galaxy parses '{dest}' as {implied.upper()} "
            f"(it treats any job_config_file containing '.xml' as XML), but format is {fmt}"
        )
    for warning in warnings:
        module.warn(warning)
    # Validating needs no PyYAML: a preflight check can run before python3-yaml is installed.
    skip_render = module.params["validate_only"] and fmt == "yaml" and not HAS_YAML
    if not errors and not skip_render:
        if fmt == "yaml" and not HAS_YAML:
            module.fail_json(msg=missing_required_lib("PyYAML (Debian: python3-yaml)"), **result)
        try:
            after_text = render(config, fmt)
        except JobConfRenderError as exc:
            errors.extend(exc.errors)
    if errors:
        result["errors"] = errors
        plural = "" if len(errors) == 1 else "s"
        joined = "\n".join(errors)
        module.fail_json(
            msg=f"invalid Galaxy job configuration ({len(errors)} error{plural}):\n{joined}",
            **result,
        )

    result.update(summarize(config))
    if module.params["validate_only"]:
        module.exit_json(**result)

    exists, before_text = read_text(module, dest, result, what="a job conf")
    if not exists and not os.path.isdir(os.path.dirname(os.path.abspath(dest))):
        module.fail_json(msg=f"the directory of {dest} does not exist (this module creates no directories)", **result)
    replace_text(module, dest, exists, before_text, after_text, result)
    module.exit_json(**result)


def main():
    run_module()


if __name__ == "__main__":
    main()
