# Copyright: gxhpc.cluster contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Write a (valid) Galaxy job configuration as job_conf.yml or job_conf.xml.

Both forms must mean the same to Galaxy: :func:`galaxy_typed` gives numeric fields the types Galaxy's code
needs whichever parser read them, and the XML renderer refuses, with the path, what Galaxy's XML parser
would read differently (lists joined on ',', nested params, characters XML 1.0 cannot carry) rather than
write a file that means something else. tests/galaxy_parser loads both forms in Galaxy's own parser.
PyYAML only for job_conf.yml; no Ansible imports.
"""

import copy
import re
import xml.etree.ElementTree as ET  # noqa: S405 - builds XML, parses nothing

from ansible_collections.gxhpc.cluster.plugins.module_utils.job_conf_schema import (
    CONCURRENCY_LIMITS,
    ENVIRONMENT_LIMITS,
    TOOL_ATTRIBUTES,
    TPV_FORCED,
    environment_items,
    environment_params,
    runner_kwds,
    type_name,
)

try:
    import yaml

    HAS_YAML = True
except ImportError:  # pragma: no cover - depends on the managed host
    yaml = None
    HAS_YAML = False

# Characters XML 1.0 cannot carry, even escaped (Galaxy's XML parser refuses the file).
XML_ILLEGAL_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
YAML_HEADER = (
    "# Galaxy job configuration, written by Ansible (gxhpc.cluster.galaxy_job_conf): local edits are overwritten.\n"
)
XML_HEADER = (
    "Galaxy job configuration, written by Ansible (gxhpc.cluster.galaxy_job_conf): local edits are overwritten."
)


class JobConfRenderError(ValueError):
    """The configuration is valid but cannot be expressed in the requested format."""

    def __init__(self, errors):
        self.errors = list(errors)
        super().__init__("; ".join(self.errors))


def _as_int(value):
    """A digit string as the int Galaxy makes of it; anything else unchanged (validate() refuses the rest)."""
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return value


def galaxy_typed(config):
    """A copy of ``config`` whose numeric fields carry Galaxy's own types.

    Galaxy converts some fields with int() itself (max_grab, ready_window_size, limits) and hands others to
    Python as given: ``workers: "8"`` in job_conf.yml reaches the runner's thread pool as a string and the
    handler fails with TypeError. Digit strings (what job_config_xml_to_dict produces) become ints here, so
    both formats mean the same to every Galaxy code path.
    """
    if not isinstance(config, dict):
        return config
    result = copy.deepcopy(config)
    for runner in (result.get("runners") or {}).values() if isinstance(result.get("runners"), dict) else []:
        if isinstance(runner, dict) and "workers" in runner:
            runner["workers"] = _as_int(runner["workers"])
    handling = result.get("handling")
    if isinstance(handling, dict):
        for key in ("max_grab", "ready_window_size"):
            if key in handling:
                handling[key] = _as_int(handling[key])
    for limit in result.get("limits") or [] if isinstance(result.get("limits"), list) else []:
        if not isinstance(limit, dict):
            continue
        if "window" in limit:
            limit["window"] = _as_int(limit["window"])
        if limit.get("type") in CONCURRENCY_LIMITS + ENVIRONMENT_LIMITS and "value" in limit:
            limit["value"] = _as_int(limit["value"])
    return result


def render_yaml(config):
    """job_conf.yml text: the configuration as given (key order kept, numbers typed), under a header comment."""
    if not HAS_YAML:
        raise RuntimeError("PyYAML is required to render job_conf.yml")
    config = galaxy_typed(config)
    body = yaml.safe_dump(config, default_flow_style=False, sort_keys=False, allow_unicode=True, width=1000)
    return YAML_HEADER + body


def _xml_text(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    return str(value)


class _XmlRenderer:
    """One job_conf.xml, one method per section; ``errors`` collects what XML cannot say, each with its path."""

    def __init__(self, config):
        self.config = config
        self.errors = []

    def error(self, path, message):
        self.errors.append(f"{path}: {message}")

    def add_params(self, parent, params, path):
        for key, value in params.items():
            if key in ("container", "container_override") and isinstance(value, list):
                self.add_containers(ET.SubElement(parent, "param", id=str(key)), value, f"{path}.{key}")
                continue
            if isinstance(value, (dict, list)):
                self.error(
                    f"{path}.{key}",
                    f"a {type_name(value)} cannot be expressed as a job_conf.xml param (text only); use format yaml",
                )
                continue
            param = ET.SubElement(parent, "param", id=str(key))
            param.text = _xml_text(value)

    def add_containers(self, param, containers, path):
        for index, container in enumerate(containers):
            if not isinstance(container, dict) or "identifier" not in container:
                self.error(f"{path}[{index}]", "needs an identifier to be expressed in XML")
                continue
            attrs = {k: _xml_text(v) for k, v in container.items() if k in ("type", "shell", "resolve_dependencies")}
            extra = [k for k in container if k not in ("type", "shell", "resolve_dependencies", "identifier")]
            if extra:
                self.error(f"{path}[{index}]", f"keys {', '.join(extra)} cannot be expressed in XML")
            element = ET.SubElement(param, "container", attrs)
            element.text = _xml_text(container["identifier"])

    def check_text(self, value, path):
        """Refuse what XML 1.0 cannot carry: Galaxy could not parse the file at all."""
        if isinstance(value, dict):
            for key, item in value.items():
                self.check_text(key, f"{path}.{key}" if path else str(key))
                self.check_text(item, f"{path}.{key}" if path else str(key))
        elif isinstance(value, (list, tuple)):
            for index, item in enumerate(value):
                self.check_text(item, f"{path}[{index}]")
        elif isinstance(value, str):
            match = XML_ILLEGAL_RE.search(value)
            if match:
                self.error(
                    path or "config",
                    f"contains the character {match.group(0)!r}, which XML 1.0 cannot carry (Galaxy could not parse "
                    "the file); use format yaml or drop it",
                )

    def joined(self, items, path, strip):
        """Items joined with ',' as Galaxy's XML parser splits them again; refuse those that would change."""
        items = list(items or [])
        for index, item in enumerate(items):
            item = str(item)
            if "," in item or item == "" or (strip and item != item.strip()):
                self.error(
                    f"{path}[{index}]",
                    f"{item!r} cannot be written to job_conf.xml: Galaxy splits the attribute on ','"
                    f"{' and strips spaces' if strip else ''}, so it would mean something else; use format yaml",
                )
        return ",".join(str(i) for i in items)

    def render(self):
        config = galaxy_typed(self.config)
        self.check_text(config, "")
        root = ET.Element("job_conf")
        root.append(ET.Comment(f" {XML_HEADER} "))
        self.add_plugins(root, config)
        self.add_handlers(root, config.get("handling") or {})
        self.add_destinations(root, config.get("execution") or {})
        self.add_resources(root, config.get("resources") or {})
        self.add_tools(root, config.get("tools") or [])
        self.add_limits(root, config.get("limits") or [])
        if self.errors:
            raise JobConfRenderError(self.errors)
        _indent(root)
        return '<?xml version="1.0"?>\n' + ET.tostring(root, encoding="unicode") + "\n"

    def add_plugins(self, root, config):
        plugins = ET.SubElement(root, "plugins")
        for runner_id, runner in (config.get("runners") or {}).items():
            runner = runner or {}
            attrs = {"id": str(runner_id), "type": "runner"}
            if runner.get("load") is not None:
                attrs["load"] = str(runner["load"])
            if runner.get("workers") is not None:
                attrs["workers"] = _xml_text(runner["workers"])
            plugin = ET.SubElement(plugins, "plugin", attrs)
            self.add_params(plugin, runner_kwds(runner), f"runners.{runner_id}")
        if isinstance(config.get("dynamic"), dict):
            # job_config_xml_to_dict reads a <plugin id="dynamic" type="runner"> without load as "dynamic"
            plugin = ET.SubElement(plugins, "plugin", {"id": "dynamic", "type": "runner"})
            self.add_params(plugin, config["dynamic"], "dynamic")

    def add_handlers(self, root, handling):
        if not handling:
            return
        attrs = {}
        if handling.get("assign"):
            attrs["assign_with"] = ",".join(handling["assign"])
        for key in ("max_grab", "ready_window_size", "default"):
            if handling.get(key) is not None:
                attrs[key] = _xml_text(handling[key])
        handlers = ET.SubElement(root, "handlers", attrs)
        for handler_id, handler in (handling.get("processes") or {}).items():
            handler = handler or {}
            attrs = {"id": str(handler_id)}
            if handler.get("tags"):
                attrs["tags"] = self.joined(handler["tags"], f"handling.processes.{handler_id}.tags", True)
            element = ET.SubElement(handlers, "handler", attrs)
            for plugin_id in handler.get("plugins") or []:
                ET.SubElement(element, "plugin", id=str(plugin_id))
            if handler.get("environment"):
                self.error(
                    f"handling.processes.{handler_id}.environment",
                    "cannot be expressed in job_conf.xml; use format yaml",
                )

    def add_destinations(self, root, execution):
        attrs = {}
        if execution.get("default") is not None:
            attrs["default"] = str(execution["default"])
        destinations = ET.SubElement(root, "destinations", attrs)
        for env_id, env, path in environment_items(execution):
            self.add_destination(destinations, env_id, env or {}, path)

    def add_destination(self, destinations, env_id, env, path):
        attrs = {"id": str(env_id), "runner": str(env.get("runner"))}
        tpv_forced = {}
        if env.get("runner") == "dynamic_tpv":
            # Galaxy's XML path puts params in a params mapping, where dynamic_tpv's forced rules are lost;
            # say them explicitly on the dynamic runner, which is what dynamic_tpv means
            attrs["runner"] = "dynamic"
            tpv_forced = dict(TPV_FORCED)
        if env.get("tags"):
            attrs["tags"] = self.joined(env["tags"], path + ".tags", True)
        metrics = env.get("metrics")
        params = dict(environment_params(env), **tpv_forced)
        params.pop("metrics", None)
        if isinstance(metrics, dict) and metrics.get("src") == "disabled":
            attrs["metrics"] = "false"
        elif isinstance(metrics, dict) and metrics.get("src") == "path" and metrics.get("path"):
            attrs["metrics"] = str(metrics["path"])
        elif metrics is not None and not (isinstance(metrics, dict) and metrics.get("src", "default") == "default"):
            self.error(path + ".metrics", "only {src: default|disabled|path} can be expressed in job_conf.xml")
        if env.get("shell") is not None:
            self.error(path + ".shell", "Galaxy's XML parser ignores a destination's shell; use format yaml")
        destination = ET.SubElement(destinations, "destination", attrs)
        # Galaxy's XML parser turns docker_sudo on when a destination leaves it out; the YAML parser does not.
        # Saying false keeps the XML form meaning what the YAML form means.
        if "docker_sudo" not in params:
            params["docker_sudo"] = False
        self.add_params(destination, params, path)
        for entry in env.get("env") or []:
            attrs = {}
            if entry.get("name") is not None:
                attrs["id"] = str(entry["name"])
            if entry.get("file") is not None:
                attrs["file"] = str(entry["file"])
            if entry.get("execute") is not None:
                attrs["exec"] = str(entry["execute"])
            if entry.get("raw"):
                attrs["raw"] = "true"
            element = ET.SubElement(destination, "env", attrs)
            if entry.get("value") is not None:
                element.text = _xml_text(entry["value"])
        for resubmit in env.get("resubmit") or []:
            attrs = {}
            for key, attr in (("condition", "condition"), ("environment", "destination"), ("handler", "handler")):
                if resubmit.get(key) is not None:
                    attrs[attr] = str(resubmit[key])
            if resubmit.get("delay") is not None:
                attrs["delay"] = _xml_text(resubmit["delay"])
            ET.SubElement(destination, "resubmit", attrs)

    def add_resources(self, root, resources):
        if not resources:
            return
        attrs = {}
        if resources.get("default") is not None:
            attrs["default"] = str(resources["default"])
        element = ET.SubElement(root, "resources", attrs)
        for group_id, fields in (resources.get("groups") or {}).items():
            group = ET.SubElement(element, "group", id=str(group_id))
            group.text = self.joined(fields, f"resources.groups.{group_id}", True)

    def add_tools(self, root, tools):
        if not tools:
            return
        element = ET.SubElement(root, "tools")
        for index, tool in enumerate(tools):
            attrs = {}
            for key, attr in (
                ("id", "id"),
                ("class", "class"),
                ("handler", "handler"),
                ("environment", "destination"),
                ("resources", "resources"),
            ):
                if tool.get(key) is not None:
                    attrs[attr] = str(tool[key])
            tool_element = ET.SubElement(element, "tool", attrs)
            params = tool.get("params") or {k: v for k, v in tool.items() if k not in TOOL_ATTRIBUTES}
            self.add_params(tool_element, params, f"tools[{index}]")

    def add_limits(self, root, limits):
        if not limits:
            return
        element = ET.SubElement(root, "limits")
        for limit in limits:
            limit_type = limit["type"]
            # Galaxy before 21.01 only knows the destination_* spelling; 21.01 and later read both.
            if limit_type.startswith("environment_"):
                limit_type = "destination_" + limit_type[len("environment_") :]
            attrs = {"type": limit_type}
            for key in ("id", "tag", "window"):
                if limit.get(key) is not None:
                    attrs[key] = _xml_text(limit[key])
            limit_element = ET.SubElement(element, "limit", attrs)
            limit_element.text = _xml_text(limit.get("value"))


def _indent(element, level=0):
    """Pretty-print in place (ElementTree.indent needs Python 3.9; this works everywhere)."""
    pad = "\n" + "    " * level
    children = list(element)
    if children:
        if not (element.text and element.text.strip()):
            element.text = pad + "    "
        for child in children:
            _indent(child, level + 1)
            if not (child.tail and child.tail.strip()):
                child.tail = pad + "    "
        children[-1].tail = pad


def render_xml(config):
    """job_conf.xml text for Galaxy releases that read only XML; raises JobConfRenderError for YAML-only features."""
    return _XmlRenderer(config).render()


def format_for_path(path):
    """The format Galaxy will parse ``path`` as: it treats any job_config_file containing '.xml' as XML."""
    return "xml" if ".xml" in str(path) else "yaml"


def render(config, fmt):
    """The text of ``config`` in ``fmt`` (yaml or xml)."""
    if fmt == "xml":
        return render_xml(config)
    if fmt == "yaml":
        return render_yaml(config)
    raise ValueError(f"format must be yaml or xml, got {fmt!r}")
