# Copyright: gxhpc.cluster contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Does a file the host_state module read already hold what a copy task would write (host_file_ok), or have the
kind, owner, group and mode a task would leave it with (host_path_ok)?"""

DOCUMENTATION = r"""
---
name: host_file_ok
short_description: Would a copy task with this content change nothing, by what host_state read?
version_added: 0.1.0
description:
  - C(state | host_file_ok(path, content, owner, group, mode)) - from the result of the C(gxhpc.cluster.host_state)
    module (which read O(path) with its C(read) option), whether the file is a regular file with exactly
    O(content) and, when given, O(owner), O(group) and O(mode). False whenever it cannot tell, so that the
    copy task runs and checks for itself. The comparison lives in C(plugins/module_utils/host_state.py).
author:
  - gxhpc.cluster contributors (@gxhpc)
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.gxhpc.cluster.plugins.module_utils import host_state


def host_file_ok(state, path, content, owner=None, group=None, mode=None):
    """See module_utils/host_state.py (file_ok)."""
    _require_state(state, "host_file_ok")
    return host_state.file_ok(state, path, content, owner, group, mode)


def host_path_ok(state, path, kind, owner=None, group=None, mode=None):
    """See module_utils/host_state.py (stat_ok)."""
    _require_state(state, "host_path_ok")
    return host_state.stat_ok(state, path, kind, owner, group, mode)


def _require_state(state, name):
    if not isinstance(state, dict):
        raise AnsibleFilterError(f"{name} expects the host_state module's result, got {type(state).__name__}")


class FilterModule:
    def filters(self):
        return {"host_file_ok": host_file_ok, "host_path_ok": host_path_ok}
