"""Documents to file text: YAML with keys in the order written (reviewable diffs), a header
saying how the file was made, and ``---`` between documents."""
from __future__ import annotations

from typing import Any, Iterable

import yaml


class _Dumper(yaml.SafeDumper):
    """Block style, insertion order, no aliases (a reader sees every value where it applies)."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def header(command: str, what: str) -> str:
    return (f"# {what}\n# Rendered by `{command}` from the catalogue and the agreements:\n"
            f"# do not edit, render again (docs/deploy.md).\n")


def yaml_documents(documents: Iterable[dict[str, Any]], head: str) -> str:
    body = "---\n".join(yaml.dump(doc, Dumper=_Dumper, sort_keys=False, width=120, allow_unicode=True)
                        for doc in documents)
    return head + body
