# Copyright: gxhpc.cluster contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Replace a file in one step, so that a daemon reading it never sees half of it."""

import os
import tempfile

from ansible.module_utils.common.text.converters import to_bytes, to_text


def write_atomically(module, path, data, mode=None):
    """Write ``data`` (text or bytes) next to ``path``, then rename it over ``path``.

    ``mode``, when given, is set on the temporary file before anything is written to it, so a secret
    is never readable by others, not even for a moment.
    """
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.", dir=directory)
    try:
        if mode is not None:
            os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as handle:
            handle.write(to_bytes(data))
            handle.flush()
            os.fsync(handle.fileno())
        module.atomic_move(tmp, path, unsafe_writes=module.params.get("unsafe_writes", False))
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def read_text(module, path, result, what="the file"):
    """Return (exists, text) of ``path`` ('' when it does not exist); fail when it is a directory.

    ``what`` names the file in the message (``{path} is a directory, not galaxy.yml``).
    """
    if not os.path.exists(path):
        return False, ""
    if os.path.isdir(path):
        module.fail_json(msg=f"{path} is a directory, not {what}", **result)
    with open(path, "rb") as handle:
        return True, to_text(handle.read(), errors="surrogate_or_strict")


def replace_text(module, path, exists, before_text, after_text, result, content_changed=None, diff_always=True):
    """Put ``after_text`` in ``path`` when it differs, and give it the module's owner, group and mode.

    The tail every text-writing module shares: ``result`` gets ``content_changed``, ``changed`` and the diff
    (before and after text; Ansible shows it only with --diff); outside check mode the old file is backed up
    first (module param ``backup``) and the new one replaces it atomically, or the module fails naming the
    directory when ``path``'s directory does not exist. In check mode nothing is written, and a file that
    does not exist yet is reported as changed for its attributes too. ``content_changed`` defaults to whether
    the text differs (or the file is missing). With ``diff_always`` false the result has a diff only when
    the content changes and the module runs with --diff.
    """
    if content_changed is None:
        content_changed = before_text != after_text
    content_changed = content_changed or not exists
    result["content_changed"] = content_changed
    result["changed"] = content_changed
    if diff_always or (content_changed and module._diff):
        result["diff"] = dict(before_header=path, after_header=path, before=before_text, after=after_text)
    if content_changed and not module.check_mode:
        directory = os.path.dirname(os.path.abspath(path))
        if not os.path.isdir(directory):
            module.fail_json(msg=f"the directory of {path}, {directory}, does not exist", **result)
        if exists and module.params.get("backup"):
            result["backup_file"] = module.backup_local(path)
        write_atomically(module, path, after_text)
    # Owner, group and mode: in check mode a file that does not exist yet would get them, so report that.
    if exists or not module.check_mode:
        file_args = module.load_file_common_arguments(module.params, path=path)
        result["changed"] = module.set_fs_attributes_if_different(file_args, result["changed"])
    return result
