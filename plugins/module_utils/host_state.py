# Copyright: gxhpc.cluster contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Is a host already as a role wants it? The reading and the comparisons behind the host_state module.

Each function takes what the host has (as the module read it) and what a role's task would set, and
says whether that task would change nothing. Whenever a comparison cannot tell (an unknown field, a
package given with a version, a unit systemd does not know), it answers False, so that the role runs
its task, which then makes the check itself: the answer may only skip a task that would report ok.
"""

import grp
import os
import pwd
import re
import stat

# The host_state module's options (gxhpc.cluster.slurm_drmaa_build_state takes them as its state option).
ARGUMENT_SPEC = {
    "groups": {"type": "list", "elements": "dict", "default": []},
    "users": {"type": "list", "elements": "dict", "default": []},
    "packages": {"type": "list", "elements": "str", "default": []},
    "services": {"type": "list", "elements": "str", "default": []},
    "directories": {"type": "list", "elements": "dict", "default": []},
    "read": {"type": "list", "elements": "path", "default": []},
    "paths": {"type": "list", "elements": "path", "default": []},
    "commands": {"type": "dict", "default": {}},
}

# Package names apt and dpkg accept, without an architecture, a version or a release.
PACKAGE_NAME = re.compile(r"^[a-z0-9][a-z0-9+.-]+$")
# What ansible.builtin.systemd_service takes for `state: started` (it starts nothing then).
RUNNING = ("active", "activating", "reloading")


def group_ok(wanted, entry):
    """Would ansible.builtin.group change nothing? ``entry``: {'gid'} of the group, or None when absent."""
    if entry is None:
        return False
    return wanted.get("gid") is None or int(wanted["gid"]) == entry["gid"]


def user_ok(wanted, entry, group_gid):
    """Would ansible.builtin.user change nothing?

    ``entry``: {'uid', 'gid', 'home', 'shell', 'comment'} from the passwd database, or None when absent;
    ``group_gid``: the gid of the wanted primary group (None when there is no such group).
    """
    if entry is None:
        return False
    if wanted.get("uid") is not None and int(wanted["uid"]) != entry["uid"]:
        return False
    if wanted.get("group") is not None and group_gid != entry["gid"]:
        return False
    for field in ("home", "shell", "comment"):
        if wanted.get(field) is not None and wanted[field] != entry[field]:
            return False
    return True


def parse_dpkg_query(output):
    """The packages ``dpkg-query -W -f '${Package}\\t${db:Status-Abbrev}\\n'`` lists as installed."""
    installed = set()
    for line in output.splitlines():
        name, _tab, status = line.partition("\t")
        if status.startswith("ii"):
            installed.add(name.split(":")[0])
    return installed


def packages_missing(wanted, installed):
    """The wanted packages not known to be installed (a name with a version or an architecture counts)."""
    return [name for name in wanted if not PACKAGE_NAME.match(name) or name not in installed]


def parse_systemctl_show(output, units):
    """{unit: {'load', 'active', 'enabled'}} from ``systemctl show -p Id,LoadState,ActiveState,UnitFileState``.

    systemctl prints one block of properties per unit, in the order asked, separated by empty lines.
    """
    blocks = [block for block in output.strip().split("\n\n") if block.strip()]
    result = {}
    if len(blocks) != len(units):
        return {unit: {"load": "", "active": "", "enabled": ""} for unit in units}
    for unit, block in zip(units, blocks):
        props = dict(line.partition("=")[::2] for line in block.splitlines() if "=" in line)
        result[unit] = {
            "load": props.get("LoadState", ""),
            "active": props.get("ActiveState", ""),
            "enabled": props.get("UnitFileState", ""),
        }
    return result


def service_ok(state):
    """Would systemd_service (state started, enabled true) change nothing?"""
    return state["load"] == "loaded" and state["active"] in RUNNING and state["enabled"] == "enabled"


def mode_ok(wanted_mode, found_mode):
    """``found_mode``: an octal string (as the module returns it)."""
    if wanted_mode is None:
        return True
    try:
        return int(str(wanted_mode), 8) == int(str(found_mode), 8)
    except ValueError:
        # A symbolic mode (u=rw,g=r): the task decides.
        return False


def file_ok(state, path, content, owner=None, group=None, mode=None):
    """Would ansible.builtin.copy with ``content`` change nothing? ``state``: the host_state module's result."""
    if (state.get("contents") or {}).get(path) != content:
        return False
    return stat_ok(state, path, "file", owner, group, mode)


def stat_ok(state, path, kind, owner=None, group=None, mode=None):
    """Is ``path`` (read with the module's ``read`` or ``paths``) of ``kind`` with that owner, group and mode?"""
    found = (state.get("stats") or {}).get(path)
    return path_ok({"owner": owner, "group": group, "mode": mode}, found, kind)


def path_ok(wanted, found, kind):
    """Would copy (``kind`` 'file', content compared by the caller) or file (state directory) change nothing?

    ``found``: {'kind', 'owner', 'group', 'mode'} of the path (owner and group as names, mode an octal
    string), or None when absent.
    """
    if found is None or found["kind"] != kind:
        return False
    if wanted.get("owner") is not None and str(wanted["owner"]) != found["owner"]:
        return False
    if wanted.get("group") is not None and str(wanted["group"]) != found["group"]:
        return False
    return mode_ok(wanted.get("mode"), found["mode"])


# Reading the host (the module's side).


def _group(name):
    try:
        return {"gid": grp.getgrnam(name).gr_gid}
    except KeyError:
        return None


def _user(name):
    try:
        entry = pwd.getpwnam(name)
    except KeyError:
        return None
    return {
        "uid": entry.pw_uid,
        "gid": entry.pw_gid,
        "home": entry.pw_dir,
        "shell": entry.pw_shell,
        "comment": entry.pw_gecos,
    }


def _name(lookup, ident):
    try:
        return lookup(ident)[0]
    except KeyError:
        return str(ident)


def _path(path):
    try:
        st = os.lstat(path)
    except OSError:
        return None
    kind = "directory" if stat.S_ISDIR(st.st_mode) else "file" if stat.S_ISREG(st.st_mode) else "other"
    return {
        "kind": kind,
        "owner": _name(pwd.getpwuid, st.st_uid),
        "group": _name(grp.getgrgid, st.st_gid),
        "mode": f"{stat.S_IMODE(st.st_mode):04o}",
    }


def _text(path):
    try:
        with open(path, "rb") as handle:
            return handle.read().decode("utf-8", errors="replace")
    except OSError:
        return None


def _packages(module, names):
    if not names:
        return []
    dpkg_query = module.get_bin_path("dpkg-query")
    if dpkg_query is None:
        return list(names)
    plain = [name for name in names if PACKAGE_NAME.match(name)]
    out = ""
    if plain:
        # rc 1 when some are unknown: the others are still listed.
        _rc, out, _err = module.run_command([dpkg_query, "-W", "-f", "${Package}\t${db:Status-Abbrev}\n", "--", *plain])
    return packages_missing(names, parse_dpkg_query(out))


def _services(module, units):
    if not units:
        return {}
    systemctl = module.get_bin_path("systemctl")
    out = ""
    if systemctl is not None:
        rc, out, _err = module.run_command(
            [systemctl, "show", "--property=Id,LoadState,ActiveState,UnitFileState", "--", *units]
        )
        if rc != 0:
            out = ""
    return parse_systemctl_show(out, units)


def read_host(module, params):
    """Read the host as the host_state module's options (``params``) ask; never change it."""
    result = {}

    gids = {}
    result["groups_ok"] = {}
    for wanted in params["groups"]:
        entry = _group(wanted["name"])
        result["groups_ok"][wanted["name"]] = group_ok(wanted, entry)
    result["users_ok"] = {}
    for wanted in params["users"]:
        group = wanted.get("group")
        if group is not None and group not in gids:
            gids[group] = (_group(str(group)) or {}).get("gid")
        result["users_ok"][wanted["name"]] = user_ok(wanted, _user(wanted["name"]), gids.get(group))

    result["packages_missing"] = _packages(module, params["packages"])
    result["packages_ok"] = not result["packages_missing"]

    result["services"] = _services(module, params["services"])
    result["services_ok"] = {unit: service_ok(state) for unit, state in result["services"].items()}

    result["directories_ok"] = {}
    for wanted in params["directories"]:
        result["directories_ok"][wanted["path"]] = path_ok(wanted, _path(wanted["path"]), "directory")

    result["contents"] = {}
    result["stats"] = {}
    for path in params["read"]:
        text = _text(path)
        if text is not None:
            result["contents"][path] = text
    for path in [*params["read"], *params["paths"]]:
        found = _path(path)
        if found is not None:
            result["stats"][path] = found

    result["commands"] = {}
    for name, argv in params["commands"].items():
        program = module.get_bin_path(argv[0]) if argv else None
        if program is None:
            result["commands"][name] = {"rc": 127, "stdout": "", "stderr": f"{argv[0] if argv else ''}: not found"}
            continue
        rc, out, err = module.run_command([program, *[str(arg) for arg in argv[1:]]])
        result["commands"][name] = {"rc": rc, "stdout": out, "stderr": err}
    return result
