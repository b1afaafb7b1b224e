# Copyright: gxhpc.cluster contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The galaxy_real_user role's plan: what is wrong with its variables and the host, and every value derived from them.

Read by the role's preflight (through the ``galaxy_real_user_plan`` filter): one set_fact of ``plan()``, one assert
of its ``problems``; the later phases read the plan and never re-derive it. argument_specs check types and
choices; the rules here are those across variables and the host. The checks that need the host (ownership of
the directories and interpreter sudo runs, new_file_path, the roots) are in the role's files/gxhpc_real_user.py
(``preflight``), with the code the scripts run; preflight runs it (it only reads) and ``plan()`` fails closed on
its answer: no answer, or one that is not a JSON object with ``problems``, is a problem.

``facts`` is what preflight read on the host::

    galaxy_scripts       {file name: it is a regular file} for Galaxy's own scripts (scripts_source galaxy)
    host_rc, host_stdout, host_stderr
                         the exit status and output of gxhpc_real_user.py preflight
    drmaa_package        the platform's package of drmaa for the system Python ('' where there is none)
    venv_packages        the platform's packages for a virtualenv and ansible.builtin.pip
    script_names         the file names (runner, killer, chown) of the scripts scripts_source installs
    galaxy_yml_read      galaxy.yml was read (only looked at with galaxy_real_user_manage_galaxy_config)
    galaxy_yml           its parsed content
    galaxy_yml_error     why it could not be read
"""

import json
import re

from ansible_collections.gxhpc.cluster.plugins.module_utils.plan_values import flag

# Account names that sudoers and every shell read as one plain word.
USER_NAME = re.compile(r"^[a-z_][a-z0-9_.-]{0,31}$")
# Absolute paths of plain components: sudoers-safe, shell-safe, no '.' or '..' components, no '//'.
PATH_COMPONENT = re.compile(r"^[A-Za-z0-9_+@-][A-Za-z0-9._+@-]*$")
# sudo skips files in /etc/sudoers.d whose names contain a '.' or end in '~'.
SUDOERS_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
SHA256 = re.compile(r"^[0-9a-f]{64}$")
# Largest uid_t/gid_t naming an account ((uid_t) -1 is "no change").
ID_MAX = 2**32 - 2
# systemd-tmpfiles ages: a number and a unit, e.g. 7d, 12h, 2w.
AGE = re.compile(r"^[1-9][0-9]*(s|min|h|d|w)$")
# systemd OnCalendar: a shorthand or an expression of plain characters.
ON_CALENDAR = re.compile(r"^[A-Za-z0-9*:.,/~ -]{1,64}$")
SERVICE = re.compile(r"^[A-Za-z0-9@_.-]+\.service$")
REAL_SYSTEM_USERNAME_METHODS = ("user_email", "username")
# A released version of the drmaa package (PyPI), as pip pins it.
DRMAA_VERSION = re.compile(r"^[0-9]+(\.[0-9]+){1,3}$")
# What the scripts' interpreter reports as its version (X.Y), where a virtualenv it makes keeps its packages.
PYTHON_VERSION = re.compile(r"^3\.[0-9]{1,3}$")
# pip arguments: one line (the pip module splits it into words).
ONE_LINE = re.compile(r"^[^\n\r\0]*$")
# Virtualenv of the drmaa package, inside the root-owned scripts directory, where the distribution has no
# package of it.
DRMAA_VENV = "drmaa-venv"
# Directories whose contents Galaxy never owns: a chown script rooted there could hand out system files.
SYSTEM_DIRS = frozenset(
    [
        "/",
        "/bin",
        "/boot",
        "/dev",
        "/etc",
        "/home",
        "/lib",
        "/lib32",
        "/lib64",
        "/media",
        "/mnt",
        "/opt",
        "/proc",
        "/root",
        "/run",
        "/sbin",
        "/srv",
        "/sys",
        "/tmp",  # noqa: S108 - listed to be refused, not used
        "/usr",
        "/usr/bin",
        "/usr/lib",
        "/usr/local",
        "/usr/local/bin",
        "/usr/sbin",
        "/var",
        "/var/lib",
        "/var/log",
        "/var/tmp",  # noqa: S108 - listed to be refused, not used
    ]
)


def _show(value):
    """The value as a reader can see it: repr() makes a newline or a trailing space visible."""
    return repr(value)


def path_problem(value):
    """Why ``value`` is not a plain absolute path, or None."""
    if not isinstance(value, str) or not value:
        return "must be a non-empty absolute path"
    if not value.startswith("/"):
        return "must be an absolute path"
    if value == "/":
        return None
    components = value[1:].split("/")
    for component in components:
        if component in ("", ".", ".."):
            return "must not contain '//', '.' or '..' components, or end in '/'"
        if not PATH_COMPONENT.fullmatch(component):
            return (
                "may only contain letters, digits and . _ + @ - between slashes (no spaces, newlines, commas, "
                "colons, equals signs, quotes, backslashes or wildcards: it goes into sudoers)"
            )
    return None


def path_list_problems(name, entries, entry_problem=path_problem):
    """One problem per entry of the list of paths ``name`` that ``entry_problem`` refuses (by default: each
    entry must be a plain absolute path, path_problem)."""
    problems = []
    for entry in entries:
        problem = entry_problem(entry)
        if problem:
            problems.append(f"{name}: entry {_show(entry)} {problem}.")
    return problems


def allowed_root_problem(entry):
    """path_problem's rule, and no system directory: the chown script runs as root on what is under a root."""
    problem = path_problem(entry)
    if problem is None and entry in SYSTEM_DIRS:
        return (
            "is a system directory; the chown script must be confined to Galaxy's own job working directory "
            "and new_file_path"
        )
    return problem


def _is_under(path, parent):
    return path == parent or path.startswith(parent.rstrip("/") + "/")


def settings_problems(settings):
    """One message per unusable setting of the galaxy_real_user role (only the variables present are checked).

    The argument spec refuses a bad galaxy_real_user_scripts_source, umask, umask_method or syslog_facility
    (choices) before preflight runs; these are the rules a choice cannot say.
    """
    problems = []

    def bad(name, message):
        problems.append(f"{name}: {_show(settings.get(name))} {message}.")

    def check_path(name, allow_system=True):
        value = settings.get(name)
        problem = path_problem(value)
        if problem:
            bad(name, problem)
            return None
        if not allow_system and value in SYSTEM_DIRS:
            bad(name, "is a system directory; give a directory of its own (e.g. /srv/galaxy/jobs)")
            return None
        return value

    def present(name):
        return name in settings

    def check_string(name, pattern, message):
        """A string matching ``pattern`` when present, or one problem with ``message``."""
        if present(name) and not (isinstance(settings[name], str) and pattern.fullmatch(settings[name])):
            bad(name, message)

    name = "galaxy_real_user_galaxy_user"
    if present(name):
        value = settings[name]
        if not isinstance(value, str) or not USER_NAME.fullmatch(value):
            bad(name, "is not a plain user name (lower-case letters, digits, _ . -; starting with a letter or _)")
        elif value == "root":
            bad(name, "must not be root: Galaxy must not run as root")

    name = "galaxy_real_user_real_system_username"
    if present(name):
        value = settings[name]
        if not isinstance(value, str) or (value not in REAL_SYSTEM_USERNAME_METHODS and not USER_NAME.fullmatch(value)):
            bad(name, "is not accepted: use user_email, username, or one plain system user name")
        elif value == "root":
            bad(name, "must not be root")

    for name in (
        "galaxy_real_user_scripts_dir",
        "galaxy_real_user_python",
        "galaxy_real_user_config_file",
        "galaxy_real_user_galaxy_config_file",
        "galaxy_real_user_galaxy_server_dir",
        "galaxy_real_user_drmaa_library_path",
    ):
        if present(name) and not (name == "galaxy_real_user_drmaa_library_path" and settings[name] in ("", None)):
            check_path(name)

    name = "galaxy_real_user_scripts_dir"
    scripts_dir = settings.get(name)
    if present(name) and not path_problem(scripts_dir):
        if scripts_dir in SYSTEM_DIRS:
            bad(name, "is a shared system directory; give a directory of its own, e.g. /usr/local/libexec/gxhpc")
        for other in ("galaxy_real_user_galaxy_server_dir", "galaxy_real_user_job_working_directory"):
            other_value = settings.get(other)
            if isinstance(other_value, str) and not path_problem(other_value) and _is_under(scripts_dir, other_value):
                bad(
                    name,
                    f"is inside {other} ({other_value}), which the Galaxy user can write; "
                    "sudo would run its code as root",
                )

    name = "galaxy_real_user_drmaa_python_path"
    if present(name):
        value = settings[name]
        if not isinstance(value, list):
            bad(name, "must be a list of absolute paths")
        else:
            problems.extend(path_list_problems(name, value))

    check_string(
        "galaxy_real_user_drmaa_version",
        DRMAA_VERSION,
        "must be a released version of the drmaa package, such as '0.7.9' (quoted: a string)",
    )
    check_string(
        "galaxy_real_user_drmaa_pip_extra_args",
        ONE_LINE,
        "must be one line of pip arguments, such as '--no-index --find-links /srv/wheels'",
    )

    for name in ("galaxy_real_user_job_working_directory", "galaxy_real_user_new_file_path"):
        if present(name):
            check_path(name, allow_system=False)

    name = "galaxy_real_user_allowed_roots"
    if present(name):
        value = settings[name]
        if not isinstance(value, list) or not value:
            bad(name, "must be a non-empty list of absolute paths (the job working directory and new_file_path)")
        else:
            problems.extend(path_list_problems(name, value, allowed_root_problem))

    for name in (
        "galaxy_real_user_uid_min",
        "galaxy_real_user_uid_max",
        "galaxy_real_user_gid_min",
        "galaxy_real_user_gid_max",
    ):
        if present(name) and settings[name] is not None:
            value = settings[name]
            if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= ID_MAX:
                bad(
                    name,
                    f"must be null (read from /etc/adduser.conf) or an id from 1 to {ID_MAX}, usually 1000 or 59999",
                )
    for low, high in (
        ("galaxy_real_user_uid_min", "galaxy_real_user_uid_max"),
        ("galaxy_real_user_gid_min", "galaxy_real_user_gid_max"),
    ):
        values = settings.get(low), settings.get(high)
        if all(isinstance(v, int) and not isinstance(v, bool) for v in values) and values[0] > values[1]:
            bad(low, f"is above {high} ({values[1]!r}): the range of people's accounts would be empty")

    for name in ("galaxy_real_user_denied_users", "galaxy_real_user_allowed_groups"):
        if present(name):
            value = settings[name]
            if not isinstance(value, list) or not all(isinstance(v, str) and USER_NAME.fullmatch(v) for v in value):
                bad(name, "must be a list of plain account or group names")

    name = "galaxy_real_user_galaxy_scripts_sha256"
    if present(name):
        value = settings[name]
        if not isinstance(value, dict) or not all(
            isinstance(k, str) and isinstance(v, str) and SHA256.fullmatch(v) for k, v in value.items()
        ):
            bad(name, "must map script file names to sha256 digests (64 lower-case hex digits)")

    check_string(
        "galaxy_real_user_sudoers_name",
        SUDOERS_NAME,
        "must be a file name of letters, digits, _ and - only (sudo ignores names with a '.' or '~')",
    )

    check_string("galaxy_real_user_galaxy_service", SERVICE, "must be a systemd service name such as galaxy.service")
    check_string("galaxy_real_user_new_file_path_max_age", AGE, "must be a systemd-tmpfiles age such as 7d, 12h or 2w")
    check_string(
        "galaxy_real_user_cleanup_on_calendar",
        ON_CALENDAR,
        "must be a systemd OnCalendar expression such as daily or *-*-* 03:00:00",
    )

    return problems


def drmaa_plan(settings, distribution_package, venv_packages, python_version):
    """How the scripts' root-owned interpreter gets the drmaa package, and where the scripts look for it.

    ``distribution_package``: the platform's package of drmaa for the system Python ('' where the
    distribution has none, as Debian 13). ``venv_packages``: what the platform needs for a virtualenv
    and for ansible.builtin.pip. ``python_version``: X.Y of galaxy_real_user_python, from preflight.

    Returns ``method`` (package, pip or none), ``apt_packages`` (to add to the role's), ``venv`` and
    ``pip_name`` (method pip), ``python_path`` (the scripts' drmaa_python_path: the virtualenv's
    site-packages first, then galaxy_real_user_drmaa_python_path) and ``problems``.
    """
    extra = list(settings.get("galaxy_real_user_drmaa_python_path") or [])
    plan = {"method": "none", "apt_packages": [], "venv": "", "pip_name": "", "python_path": extra, "problems": []}
    if not settings.get("galaxy_real_user_install_python_drmaa", True):
        return plan
    if distribution_package:
        return dict(plan, method="package", apt_packages=[distribution_package])
    name = "galaxy_real_user_install_python_drmaa"
    if settings.get("galaxy_real_user_scripts_source", "collection") != "collection":
        plan["problems"].append(
            f"{name}: true, but this distribution has no package of drmaa for the system Python, and Galaxy's own "
            "scripts (galaxy_real_user_scripts_source: galaxy) read no drmaa_python_path that could point them at "
            "another copy. Use the collection's scripts, or set it to false and make drmaa importable for Galaxy's "
            "scripts yourself."
        )
        return plan
    if not isinstance(python_version, str) or not PYTHON_VERSION.fullmatch(python_version):
        plan["problems"].append(
            f"{name}: true needs the version of galaxy_real_user_python ({settings.get('galaxy_real_user_python')!r}) "
            f"for the drmaa virtualenv, but preflight found {python_version!r}."
        )
        return plan
    venv = f"{settings['galaxy_real_user_scripts_dir']}/{DRMAA_VENV}"
    site_packages = f"{venv}/lib/python{python_version}/site-packages"
    return dict(
        plan,
        method="pip",
        apt_packages=list(venv_packages),
        venv=venv,
        pip_name=f"drmaa=={settings.get('galaxy_real_user_drmaa_version')}",
        python_path=[site_packages] + [entry for entry in extra if entry != site_packages],
    )


def galaxy_config(settings, script_names, galaxy_job_working_directory=None):
    """The settings galaxy_real_user merges into galaxy.yml (published as galaxy_real_user_galaxy_config).

    ``script_names``: the file names (runner, killer, chown) of the scripts that galaxy_real_user_scripts_source
    installs, from the role's vars. ``galaxy_job_working_directory``: what galaxy.yml already sets ('' for
    nothing, None when galaxy.yml is not read, as for tasks_from: publish). The role sets job_working_directory
    unless galaxy.yml already does (preflight has checked that the two agree), so that Galaxy and the chown
    script agree on it.
    """
    scripts = script_names
    # -n: fail instead of waiting for a password. -E only with SETENV, which sudo requires for it.
    setenv = " -E" if settings.get("galaxy_real_user_sudo_setenv") else ""
    sudo = f"sudo -n{setenv} {settings['galaxy_real_user_scripts_dir']}/"
    all_groups = " --assign_all_groups" if settings.get("galaxy_real_user_assign_all_groups") else ""
    galaxy = {
        # Outputs must be written to the job directory, which the real user owns while the job runs.
        "outputs_to_working_directory": True,
        "real_system_username": settings.get("galaxy_real_user_real_system_username"),
        "drmaa_external_runjob_script": f"{sudo}{scripts['runner']}{all_groups}",
        "drmaa_external_killjob_script": f"{sudo}{scripts['killer']}",
        "external_chown_script": f"{sudo}{scripts['chown']}",
        "new_file_path": settings.get("galaxy_real_user_new_file_path"),
    }
    if not galaxy_job_working_directory:
        galaxy["job_working_directory"] = settings.get("galaxy_real_user_job_working_directory")
    result = {"galaxy": galaxy}
    if settings.get("galaxy_real_user_umask_method") == "gravity":
        result["gravity"] = {"umask": settings.get("galaxy_real_user_umask")}
    return result


def read_host(facts):
    """What gxhpc_real_user.py preflight found, and a problem when it did not answer (fail closed)."""
    said = str(facts.get("host_stderr") or facts.get("host_stdout") or "no output").strip()[-2000:]
    raw = facts.get("host_stdout")
    try:
        # Already a mapping where a templating layer has parsed the JSON.
        host = raw if isinstance(raw, dict) else json.loads(raw or "")
    except (TypeError, ValueError):
        host = None
    if str(facts.get("host_rc", "")) != "0" or not isinstance(host, dict) or not isinstance(host.get("problems"), list):
        return {}, [
            "galaxy_real_user: the host checks (gxhpc_real_user.py preflight) gave no answer "
            f"(exit status {facts.get('host_rc')!r}): {said}"
        ]
    return host, [str(problem) for problem in host["problems"]]


def _galaxy_yml_job_working_directory(galaxy_yml):
    galaxy = galaxy_yml.get("galaxy") if isinstance(galaxy_yml, dict) else None
    value = galaxy.get("job_working_directory") if isinstance(galaxy, dict) else None
    return value or ""


def _galaxy_yml_problems(settings, facts, job_wd):
    config_file = settings.get("galaxy_real_user_galaxy_config_file")
    if not flag(facts.get("galaxy_yml_read")):
        return [
            f"galaxy_real_user_galaxy_config_file: {config_file!r} cannot be read on this host "
            f"({facts.get('galaxy_yml_error') or 'no content'}). Configure Galaxy first, or set "
            "galaxy_real_user_manage_galaxy_config to false."
        ]
    # The chown script may only work below job_working_directory: if galaxy.yml puts the job directories
    # elsewhere, every real-user job would fail at its first chown. (When galaxy.yml sets none, the role sets it,
    # so that Galaxy and the chown script agree.)
    ours = settings.get("galaxy_real_user_job_working_directory")
    if job_wd not in ("", ours):
        return [
            f"galaxy_real_user_job_working_directory: {ours!r} differs from job_working_directory in {config_file} "
            f"({job_wd!r}); the chown script would refuse every job. Make them the same."
        ]
    return []


def plan(settings, facts):
    """Return the galaxy_real_user role's plan: ``problems`` (every one at once) and the values the phases read.

    ``host`` (what the host checks found: the ranges of people's ids, the allowed roots resolved to real paths,
    the interpreter's version), ``drmaa`` (``drmaa_plan``: how the scripts get the drmaa package),
    ``galaxy_job_working_directory`` (what galaxy.yml sets; None when it is not read) and ``galaxy_config``
    (what the role merges into galaxy.yml, published as galaxy_real_user_galaxy_config).
    """
    problems = settings_problems(settings)
    server_dir = settings.get("galaxy_real_user_galaxy_server_dir")
    if settings.get("galaxy_real_user_scripts_source") == "galaxy":
        for name, is_file in (facts.get("galaxy_scripts") or {}).items():
            if not flag(is_file):
                problems.append(
                    f"galaxy_real_user_scripts_source is galaxy, but {name} is not in "
                    f"galaxy_real_user_galaxy_server_dir/scripts ('{server_dir}/scripts'). Galaxy's PyPI wheels do "
                    "not ship these scripts: use a Galaxy checkout, or the collection's scripts."
                )
    host, host_problems = read_host(facts)
    problems.extend(host_problems)
    drmaa = drmaa_plan(
        settings, facts.get("drmaa_package") or "", facts.get("venv_packages") or [], host.get("python_version")
    )
    problems.extend(drmaa["problems"])
    job_wd = None
    if flag(settings.get("galaxy_real_user_manage_galaxy_config", True)):
        job_wd = _galaxy_yml_job_working_directory(facts.get("galaxy_yml"))
        problems.extend(_galaxy_yml_problems(settings, facts, job_wd))
    return {
        "problems": problems,
        "host": host,
        "drmaa": drmaa,
        "galaxy_job_working_directory": job_wd,
        "galaxy_config": galaxy_config(settings, facts.get("script_names") or {}, job_wd),
    }
