# Copyright: gxhpc.cluster contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reading the values a role passes to its plan: what Jinja may hand over as text."""


def flag(value):
    """A boolean from a variable or fact that may arrive as text ('false', 'no', 'True')."""
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on")
    return bool(value)
