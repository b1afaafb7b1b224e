"""Make .cache/venv-galaxy-parser: a venv with Galaxy's job configuration parser (galaxy-app, pinned).

    python3 tests/galaxy_parser/ensure_venv.py      # prints the venv's python, exit 1 with the reason if it fails

galaxy-app is the smallest Galaxy distribution that ships galaxy.jobs.JobConfiguration. 26.1.1 is pinned:
26.1.2 pins a certifi release that the package mirror here lacks; check before bumping. gravity (Galaxy's
process manager, galaxyctl) is pinned too: the tests ask it which environment it gives the handlers. The venv
is kept out of the project venv because Galaxy pins dozens of packages of its own. TPV (total-perspective-vortex)
is installed beside Galaxy, as the galaxy_jobs role does, for the TPV routing tests.
"""

import fcntl
import os
import subprocess
import sys

GALAXY_REQUIREMENT = "galaxy-app==26.1.1"
GRAVITY_REQUIREMENT = "gravity==1.2.4"
# TPV, as the galaxy_jobs role installs it (galaxy_jobs_tpv_version; tests/galaxy_parser/test_tpv.py checks both agree)
TPV_REQUIREMENT = "total-perspective-vortex==3.3.0"
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
VENV = os.path.join(ROOT, ".cache", "venv-galaxy-parser")
PYTHON = os.path.join(VENV, "bin", "python")
MARKER = os.path.join(VENV, ".installed-%s-%s-%s" % (GALAXY_REQUIREMENT, GRAVITY_REQUIREMENT, TPV_REQUIREMENT))
# `make test` installs the venv in the background (make parser-venv) while lint and the unit tests run; the
# galaxy-parser stage may then ask for it before that install ends: it waits on this lock instead of installing
# a second time into the same directory.
LOCK = VENV + ".lock"


class GalaxyUnavailable(RuntimeError):
    """galaxy-app could not be installed; the message says why."""


def _run(command, timeout):
    result = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
    if result.returncode != 0:
        tail = "\n".join((result.stdout + result.stderr).strip().splitlines()[-15:])
        raise GalaxyUnavailable("%s failed (exit %d):\n%s" % (" ".join(command), result.returncode, tail))


def ensure_venv(timeout=1800):
    """Return the path of the venv's python, installing galaxy-app first if needed."""
    os.makedirs(os.path.dirname(VENV), exist_ok=True)
    with open(LOCK, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        return _ensure_venv_locked(timeout)


def _ensure_venv_locked(timeout):
    if os.path.exists(MARKER) and os.path.exists(PYTHON):
        return PYTHON
    try:
        if not os.path.exists(PYTHON):
            _run([sys.executable, "-m", "venv", VENV], timeout=300)
        _run(
            [PYTHON, "-m", "pip", "install", "--quiet", GALAXY_REQUIREMENT, GRAVITY_REQUIREMENT, TPV_REQUIREMENT],
            timeout=timeout,
        )
        _run([PYTHON, "-c", "from galaxy.jobs import JobConfiguration; import gravity.config_manager"], timeout=300)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise GalaxyUnavailable(str(exc)) from exc
    with open(MARKER, "w") as handle:
        handle.write("%s\n%s\n%s\n" % (GALAXY_REQUIREMENT, GRAVITY_REQUIREMENT, TPV_REQUIREMENT))
    return PYTHON


if __name__ == "__main__":
    try:
        print(ensure_venv())
    except GalaxyUnavailable as exc:
        print("cannot install %s and %s: %s" % (GALAXY_REQUIREMENT, GRAVITY_REQUIREMENT, exc), file=sys.stderr)
        sys.exit(1)
