#!/usr/bin/python
# Copyright: gxhpc.cluster contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Install, generate or read a MUNGE key without ever showing it."""

DOCUMENTATION = r"""
---
module: munge_key
short_description: Install, generate once, or read a MUNGE key
version_added: 0.1.0
description:
  - Writes a MUNGE key given as base64 (the key is binary, so it cannot pass through
    M(ansible.builtin.copy)'s text C(content) unchanged), or generates a random key when none
    exists yet. An existing key is never regenerated.
  - The key is compared byte for byte; the file is replaced atomically only when it differs, so
    the caller can restart munged only when the key really changed.
  - The key never appears in the module's output unless O(return_content=true); use C(no_log)
    on that task. The SHA-256 of the key is always returned so hosts can be compared.
options:
  path:
    description: Path of the key file.
    type: path
    default: /etc/munge/munge.key
  content:
    description:
      - The key, encoded as O(content_format) says. Mutually exclusive with O(generate).
    type: str
  content_format:
    description:
      - How O(content) is encoded, C(base64) or C(hex) (for example from C(openssl rand -hex 32)).
    type: str
    choices: [base64, hex]
    default: base64
  generate:
    description:
      - Create a random key of O(size) bytes when O(path) does not exist. An existing key is kept.
    type: bool
    default: false
  size:
    description: Size in bytes of a generated key (MUNGE accepts 32 to 1024).
    type: int
    default: 1024
  return_content:
    description: Return the key (base64) as RV(content), for distributing it to other hosts.
    type: bool
    default: false
  owner:
    description: Owner of the key file.
    type: str
    default: munge
  group:
    description: Group of the key file.
    type: str
    default: munge
  mode:
    description: Mode of the key file.
    type: raw
    default: "0400"
extends_documentation_fragment:
  - gxhpc.cluster.attributes.file
attributes:
  diff_mode:
    support: none
    details: The key is a secret; only its checksum is reported.
author:
  - gxhpc.cluster contributors (@gxhpc)
"""

EXAMPLES = r"""
- name: Keep (or create once) the key on the first controller and read it
  gxhpc.cluster.munge_key:
    generate: true
    return_content: true
  register: munge_key_source
  no_log: true

- name: Install that key on every other host
  gxhpc.cluster.munge_key:
    content: "{{ hostvars['ctl1'].munge_key_source.content }}"
  no_log: true
"""

RETURN = r"""
sha256:
  description: SHA-256 of the key now in place (or that would be, in check mode); null if none.
  returned: always
  type: str
generated:
  description: Whether a new key was (or would be) generated.
  returned: always
  type: bool
key_changed:
  description:
    - Whether the key itself was (or would be) replaced or created. A change of owner or mode alone
      does not count, so munged needs a restart only when this is true.
  returned: always
  type: bool
content:
  description: The key, base64-encoded.
  returned: when O(return_content=true) and a key exists
  type: str
"""

import base64
import hashlib
import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.gxhpc.cluster.plugins.module_utils.atomic_file import write_atomically
from ansible_collections.gxhpc.cluster.plugins.module_utils.munge_plan import MAX_KEY_BYTES, MIN_KEY_BYTES, decode_key


def _read(path):
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except FileNotFoundError:
        return None


def run_module(module):
    params = module.params
    path = params["path"]
    current = _read(path)
    result = {"changed": False, "generated": False, "key_changed": False, "sha256": None}

    wanted = current
    if params["content"] is not None:
        try:
            wanted = decode_key(params["content"], params["content_format"])
        except ValueError as exc:
            module.fail_json(msg=f"munge_key: {exc}", **result)
    elif current is None and params["generate"]:
        if not MIN_KEY_BYTES <= params["size"] <= MAX_KEY_BYTES:
            module.fail_json(msg=f"munge_key: size must be {MIN_KEY_BYTES} to {MAX_KEY_BYTES}, got {params['size']}")
        wanted = None if module.check_mode else os.urandom(params["size"])
        result["generated"] = True
        result["changed"] = True
        result["key_changed"] = True

    # The key keeps its own tail instead of atomic_file.replace_text, by design: it is bytes, never put in a
    # diff or a backup (either would be a second copy of the secret), and is 0400 from its first byte.
    if wanted is not None and wanted != current:
        result["changed"] = True
        result["key_changed"] = True
        if not module.check_mode:
            if not os.path.isdir(os.path.dirname(path)):
                module.fail_json(
                    msg=f"munge_key: directory {os.path.dirname(path)} does not exist (is munge installed?)"
                )
            write_atomically(module, path, wanted, mode=0o400)

    if wanted is not None:
        result["sha256"] = hashlib.sha256(wanted).hexdigest()
        if params["return_content"]:
            result["content"] = base64.b64encode(wanted).decode("ascii")

    if os.path.exists(path):
        file_args = module.load_file_common_arguments(params)
        result["changed"] = module.set_fs_attributes_if_different(file_args, result["changed"])
    return result


def main():
    module = AnsibleModule(
        argument_spec={
            "path": {"type": "path", "default": "/etc/munge/munge.key"},
            "content": {"type": "str", "no_log": True},
            "content_format": {"type": "str", "default": "base64", "choices": ["base64", "hex"]},
            "generate": {"type": "bool", "default": False},
            "size": {"type": "int", "default": 1024},
            "return_content": {"type": "bool", "default": False},
            "owner": {"type": "str", "default": "munge"},
            "group": {"type": "str", "default": "munge"},
            "mode": {"type": "raw", "default": "0400"},
        },
        mutually_exclusive=[("content", "generate")],
        supports_check_mode=True,
    )
    module.exit_json(**run_module(module))


if __name__ == "__main__":
    main()
