#!/usr/bin/python
# Copyright: gxhpc.cluster contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: galaxy_config
short_description: Merge settings into Galaxy's galaxy.yml
version_added: 0.1.0
description:
  - Deep-merges settings into the sections (C(galaxy), C(gravity), ...) of Galaxy's C(galaxy.yml) and
    removes the keys listed in O(unset), keeping every other key of the file.
  - Several roles own a few settings each (the job conf location, the real-user settings, the handlers'
    environment), so none of them may template the whole file; this module lets each merge only its own keys.
  - Mappings merge recursively; lists and scalars replace what the file had.
  - The file is rewritten only when its parsed content changes. When it is rewritten, YAML comments are
    not kept (the file is dumped with PyYAML); key order is kept.
  - The file is written atomically (a temporary file in the same directory, then a rename).
author:
  - gxhpc.cluster contributors (@gxhpc)
requirements:
  - PyYAML on the managed host (Debian package C(python3-yaml)).
extends_documentation_fragment:
  - ansible.builtin.files
  - gxhpc.cluster.attributes.file
attributes:
  platform:
    support: full
    platforms: posix
    description: Runs on any POSIX host with PyYAML.
options:
  path:
    description: Path of galaxy.yml.
    type: path
    required: true
  settings:
    description:
      - Section name to a mapping of settings, for example C(galaxy) to C(job_config_file) and its value.
      - A section given as a mapping is merged recursively into the file's section; anything else replaces it.
    type: dict
    default: {}
  unset:
    description:
      - Section name to a list of top-level keys of that section to remove. Keys that are absent are ignored.
      - Applied after O(settings).
    type: dict
    default: {}
  create:
    description: Create the file when it is missing (its directory must exist).
    type: bool
    default: true
  backup:
    description: Keep a timestamped copy of the previous file when it is changed.
    type: bool
    default: false
"""

EXAMPLES = r"""
- name: Point Galaxy at its job configuration and set gravity's umask
  gxhpc.cluster.galaxy_config:
    path: /srv/galaxy/config/galaxy.yml
    settings:
      galaxy:
        job_config_file: /srv/galaxy/config/job_conf.yml
      gravity:
        umask: "027"
    owner: galaxy
    group: galaxy
    mode: "0640"

- name: Drop an inline job_config so that job_config_file takes effect
  gxhpc.cluster.galaxy_config:
    path: /srv/galaxy/config/galaxy.yml
    unset:
      galaxy: [job_config]
    create: false
"""

RETURN = r"""
path:
  description: The file that was managed.
  returned: always
  type: str
  sample: /srv/galaxy/config/galaxy.yml
content_changed:
  description: Whether the file's text changed (as opposed to only its owner, group or mode).
  returned: always
  type: bool
  sample: true
backup_file:
  description: The copy of the previous file, when O(backup=true) and the file changed.
  returned: when a backup was made
  type: str
  sample: /srv/galaxy/config/galaxy.yml.12345.2026-01-01@00:00:00~
diff:
  description: The file's text before and after (also shown with C(--diff)).
  returned: always
  type: dict
  sample: {before: "galaxy: {}\n", after: "galaxy:\n  brand: x\n"}
"""

import os  # noqa: E402

from ansible.module_utils.basic import AnsibleModule, missing_required_lib  # noqa: E402
from ansible.module_utils.common.text.converters import to_native  # noqa: E402

from ansible_collections.gxhpc.cluster.plugins.module_utils.atomic_file import read_text, replace_text  # noqa: E402
from ansible_collections.gxhpc.cluster.plugins.module_utils.galaxy_config import (  # noqa: E402
    HAS_YAML,
    YAML_IMPORT_ERROR,
    GalaxyConfigError,
    merge_text,
)


def run_module():
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type="path", required=True),
            settings=dict(type="dict", default={}),
            unset=dict(type="dict", default={}),
            create=dict(type="bool", default=True),
            backup=dict(type="bool", default=False),
        ),
        add_file_common_args=True,
        supports_check_mode=True,
    )
    if not HAS_YAML:
        module.fail_json(msg=missing_required_lib("PyYAML (Debian: python3-yaml)"), exception=YAML_IMPORT_ERROR)

    path = module.params["path"]
    result = dict(changed=False, path=path, content_changed=False)

    exists, before_text = read_text(module, path, result, what="galaxy.yml")
    if not exists:
        if not module.params["create"]:
            module.fail_json(msg=f"{path} does not exist and create is false", **result)
        directory = os.path.dirname(os.path.abspath(path))
        if not os.path.isdir(directory):
            module.fail_json(
                msg=f"the directory of {path} does not exist (this module creates no directories)", **result
            )

    try:
        content_changed, after_text = merge_text(
            before_text, module.params["settings"], module.params["unset"], path=path
        )
    except GalaxyConfigError as exc:
        module.fail_json(msg=to_native(exc), **result)
    replace_text(module, path, exists, before_text, after_text, result, content_changed=content_changed)
    module.exit_json(**result)


def main():
    run_module()


if __name__ == "__main__":
    main()
