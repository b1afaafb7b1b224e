# Copyright: gxhpc.cluster contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Replace a file in one step, so that a daemon reading it never sees half of it."""

import os
import tempfile

from ansible.module_utils.common.text.converters import to_bytes


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
