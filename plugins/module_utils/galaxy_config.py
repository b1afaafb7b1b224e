# Copyright: gxhpc.cluster contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Merge settings into Galaxy's galaxy.yml.

galaxy.yml is a mapping of sections (``galaxy``, ``gravity``, ...) to mappings of settings.
Several roles own a few settings each, so nobody may template the whole file: each merges
its own keys and keeps every key it was not told about.
"""

import copy

try:
    import yaml

    HAS_YAML = True
    YAML_IMPORT_ERROR = None
except ImportError as exc:  # pragma: no cover - depends on the managed host
    yaml = None
    HAS_YAML = False
    YAML_IMPORT_ERROR = exc


class GalaxyConfigError(Exception):
    """The existing file or the requested change cannot be merged."""


def deep_merge(base, override):
    """Return ``base`` with ``override`` merged in.

    Mappings merge recursively; lists and scalars in ``override`` replace what ``base`` had,
    because a merged list (say, two ``handlers`` lists) would be a setting nobody asked for.
    Neither argument is modified.
    """
    result = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(result.get(key), dict):
            result[key] = deep_merge(result[key], value)
        else:
            result[key] = copy.deepcopy(value)
    return result


def parse(text, path="galaxy.yml"):
    """Parse galaxy.yml text into a dict; an empty file is an empty dict."""
    try:
        data = yaml.safe_load(text) if text.strip() else {}
    except yaml.YAMLError as exc:
        raise GalaxyConfigError(f"{path} is not valid YAML: {exc}") from exc
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise GalaxyConfigError(f"{path} must hold a mapping of sections, found {type(data).__name__}")
    return data


def dump(data):
    """Render the data as galaxy.yml text, keeping the key order (sections and settings as written)."""
    return yaml.safe_dump(data, default_flow_style=False, sort_keys=False, allow_unicode=True, width=1000)


def apply_changes(data, settings=None, unset=None):
    """Return a new dict: ``data`` with ``settings`` deep-merged per section and ``unset`` keys removed."""
    settings = settings or {}
    unset = unset or {}
    if not isinstance(settings, dict):
        raise GalaxyConfigError(f"settings must be a mapping of section to settings, got {type(settings).__name__}")
    if not isinstance(unset, dict):
        raise GalaxyConfigError(f"unset must be a mapping of section to a list of keys, got {type(unset).__name__}")
    result = copy.deepcopy(data)
    for section, values in settings.items():
        current = result.get(section)
        if isinstance(values, dict):
            if current is None:
                current = {}
            if not isinstance(current, dict):
                raise GalaxyConfigError(
                    f"section '{section}' in the existing file is a {type(current).__name__}, not a mapping; "
                    f"cannot merge {sorted(values)} into it"
                )
            result[section] = deep_merge(current, values)
        else:
            result[section] = copy.deepcopy(values)
    for section, keys in unset.items():
        if isinstance(keys, str):
            keys = [keys]
        if not isinstance(keys, (list, tuple)):
            raise GalaxyConfigError(f"unset.{section} must be a list of keys, got {type(keys).__name__}")
        current = result.get(section)
        if not isinstance(current, dict):
            continue
        for key in keys:
            current.pop(key, None)
    return result


def merge_text(before_text, settings=None, unset=None, path="galaxy.yml"):
    """Merge into galaxy.yml text; return ``(changed, after_text)``.

    The file is rewritten only when the parsed data changes, so a hand-written galaxy.yml
    (comments, quoting, order) is left alone when it already says what was asked.
    """
    before = parse(before_text, path)
    after = apply_changes(before, settings, unset)
    if after == before:
        return False, before_text
    return True, dump(after)
