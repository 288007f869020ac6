"""YAML that people give the project (catalogues, catalogue overlays, plan files), read under one policy.

The text is walked as parser events before any document is built, and refused when its aliases would
expand it beyond MAX_YAML_NODES values (a few hundred bytes of nested aliases expand to gigabytes) or
when it nests deeper than MAX_YAML_DEPTH; ordinary aliases (a shared mapping, as PyYAML writes) are
read. Then the safe loader (libyaml's when present: several times faster) builds the document.
"""

from __future__ import annotations

from typing import Any

import yaml

SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
MAX_YAML_DEPTH = 32
MAX_YAML_NODES = 200_000  # a catalogue of 2,000 indicators has about 50,000


class YamlRefused(ValueError):
    """Text that is not YAML, or is YAML too large or deep once expanded; the message says where and why."""


def load_yaml(text: str, where: str, what: str) -> Any:
    """The document of `text`, named `where` in messages, which call the document `what` ("the catalogue")."""
    try:
        _check_shape(text, where, what)
        return yaml.load(text, Loader=SAFE_LOADER)
    except yaml.YAMLError as exc:
        raise YamlRefused(f"{where}: not valid YAML: {exc}") from None


def _check_shape(text: str, where: str, what: str) -> None:
    sizes: dict[str, int] = {}  # each anchor's expanded size
    open_collections: list[list] = []  # [expanded size so far, anchor] of each collection being read
    total = 0
    for event in yaml.parse(text, Loader=SAFE_LOADER):
        if isinstance(event, (yaml.ScalarEvent, yaml.AliasEvent)):
            size = sizes.get(event.anchor, 1) if isinstance(event, yaml.AliasEvent) else 1
            if isinstance(event, yaml.ScalarEvent) and event.anchor:
                sizes[event.anchor] = 1
            total += size
            if open_collections:
                open_collections[-1][0] += size
        elif isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            open_collections.append([1, event.anchor])
            total += 1
            if len(open_collections) > MAX_YAML_DEPTH:
                raise YamlRefused(f"{where}, line {event.start_mark.line + 1}: nested more than {MAX_YAML_DEPTH} "
                                  f"deep; not {what}")
        elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            size, anchor = open_collections.pop()
            if anchor:
                sizes[anchor] = size
            if open_collections:
                open_collections[-1][0] += size
        if total > MAX_YAML_NODES:
            raise YamlRefused(f"{where}, line {event.start_mark.line + 1}: YAML aliases expand {what} to more "
                              f"than {MAX_YAML_NODES:,} values; write it without nested aliases")
