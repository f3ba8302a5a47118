"""The user library: blocks of the user's own, kept across projects in the config folder.

`blocks.json` there holds `{"format": "cnnstudio.blocks", "version": 1, "blocks": [...]}`,
each record a user block's params as a project's "blocks" list holds them (name, graph,
expose, values, repeat). Read like a project file: JSON only, every record validated.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

from .atomic import atomic_write_text
from ..graph.doc import ProjectError, check_custom, parse_json

FORMAT = "cnnstudio.blocks"
VERSION = 1


def config_dir() -> Path:
    env = os.environ.get("CNNSTUDIO_CONFIG_DIR")
    if env:
        return Path(env)
    return Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config") / "cnnstudio"


def library_path() -> Path:
    return config_dir() / "blocks.json"


def load_library(path: Path | None = None) -> list[dict]:
    """The saved blocks ([] when there are none yet); ProjectError for a damaged file."""
    path = path or library_path()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    except (OSError, UnicodeDecodeError) as e:
        raise ProjectError(f"{path}: cannot be read: {e}.") from None
    doc = parse_json(text, str(path))

    def fail(where, what):
        raise ProjectError(f"{path}: {where}: {what}" if where else f"{path}: {what}")
    if not isinstance(doc, dict) or doc.get("format") != FORMAT or not isinstance(doc.get("blocks"), list):
        fail("", f'not a CNN Studio block library (expected "format": "{FORMAT}" and a "blocks" list).')
    return [check_custom(b, f"blocks[{i}]", fail, 0) for i, b in enumerate(doc["blocks"])]


def save_to_library(record: dict, path: Path | None = None) -> None:
    """Add a block, replacing one of the same name."""
    path = path or library_path()
    blocks = [b for b in load_library(path) if b["name"] != record["name"]] + [record]
    write_library(blocks, path)


def remove_from_library(name: str, path: Path | None = None) -> None:
    path = path or library_path()
    write_library([b for b in load_library(path) if b["name"] != name], path)


def write_library(blocks: list[dict], path: Path | None = None) -> None:
    path = path or library_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    doc = {"format": FORMAT, "version": VERSION, "blocks": blocks}
    atomic_write_text(path, json.dumps(doc, indent=1, ensure_ascii=False) + "\n")
