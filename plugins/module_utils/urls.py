# Copyright: gxhpc.cluster contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""URL checks shared by the job conf checker and the pulsar role's plan: one rule for what a
Pulsar or broker URL must look like, and messages that never show a password."""

from urllib.parse import urlsplit


def url_problem(url, schemes):
    """Why ``url`` is not a URL with one of ``schemes`` and a host, or None. Never shows a password."""
    if not isinstance(url, str) or not url:
        return "is required"
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018  raises ValueError for a port that is not a number
    except ValueError as exc:
        return f"is not a URL ({exc})"
    shown = url_without_password(url)
    if not parts.scheme or "://" not in url:
        return f"'{shown}' has no scheme (accepted: {', '.join(schemes)})"
    if parts.scheme not in schemes:
        return f"'{shown}' has the scheme {parts.scheme} (accepted: {', '.join(schemes)})"
    if not parts.hostname:
        return f"'{shown}' names no host"
    return None


def url_without_password(url):
    """``url`` with any password replaced by ***, for messages."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<unparsable URL>"
    if parts.password is None:
        return url
    return parts._replace(netloc=parts.netloc.replace(":" + parts.password + "@", ":***@", 1)).geturl()
