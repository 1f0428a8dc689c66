"""The config files driver scripts load (`json.load(open("config.json"))`): found at a commit
from the script's folder or the repository root, read from git objects and parsed (JSON;
TOML; YAML when PyYAML is installed)."""

from __future__ import annotations

import json
import posixpath
import sys
from dataclasses import dataclass, field
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

from lineage_history.definitions.static_paths import ConfigFile
from lineage_history.definitions.toml_files import json_safe
from lineage_history.repo.tree import Tree, normalize


@dataclass
class LoadedConfig:
    """What the config files of one driver call gave."""

    values: dict[str, Any] = field(default_factory=dict)
    files: list[tuple[str, str]] = field(default_factory=list)  # (path, blob id)
    types: list[tuple[str, str]] = field(default_factory=list)  # TOML dates, as in toml_files
    notes: list[str] = field(default_factory=list)
    complete: bool = True


def candidates(script: str, wanted: ConfigFile) -> list[str]:
    """Where the file can be: beside the script (`__file__`-based, or run from its folder),
    else at the repository root (run from there)."""
    folder = posixpath.dirname(script)
    places = [posixpath.join(folder, wanted.path)]
    if wanted.anchor == "cwd":
        places.append(wanted.path)
    found = []
    for place in places:
        clean = normalize(place)
        if clean and not clean.startswith("..") and clean not in found:
            found.append(clean)
    return found


def _existing_parent(tree: Tree, path: str) -> str:
    """The nearest folder of `path` that exists: its tree id changes when the file appears."""
    directory = posixpath.dirname(path)
    while directory and not tree.is_dir(directory):
        directory = posixpath.dirname(directory)
    return directory


def load_config_files(
    tree: Tree, script: str, wanted: tuple[ConfigFile, ...], looked: set[str]
) -> LoadedConfig:
    """The values of the files a driver call loads, merged in order; the folders read are
    added to `looked` (the discovery cache holds while they are unchanged)."""
    loaded = LoadedConfig()
    for config_file in wanted:
        places = candidates(script, config_file)
        looked.update(_existing_parent(tree, place) for place in places)
        found = next(((p, tree.blob(p)) for p in places if tree.blob(p) is not None), None)
        if found is None:
            loaded.complete = False
            shown = " or ".join(places) or config_file.path
            loaded.notes.append(f"config file {shown} not found: built without it")
            continue
        path, blob_id = found
        loaded.files.append((path, str(blob_id)))
        _merge(loaded, path, config_file.format, tree.read(str(blob_id)))
    return loaded


def _merge(loaded: LoadedConfig, path: str, kind: str, data: bytes) -> None:
    try:
        values = _parse(kind, data)
    except _Unreadable as exc:
        loaded.complete = False
        loaded.notes.append(f"config file {path} {exc}: built without it")
        return
    if not isinstance(values, dict):
        loaded.complete = False
        loaded.notes.append(f"config file {path} does not hold a mapping: built without it")
        return
    types: list[tuple[str, str]] = []
    plain = json_safe(values, "", types)
    try:
        json.dumps(plain)
    except (TypeError, ValueError):
        loaded.complete = False
        loaded.notes.append(f"config file {path} holds values JSON cannot: built without it")
        return
    loaded.values.update(plain)
    loaded.types = [t for t in loaded.types if t[0].split(".")[0] not in plain] + types


class _Unreadable(Exception):
    pass


def _parse(kind: str, data: bytes) -> Any:
    try:
        text = data.decode("utf-8")
        if kind == "json":
            return json.loads(text)
        if kind == "toml":
            return tomllib.loads(text)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise _Unreadable(f"is not valid {kind.upper()} ({exc})") from None
    try:
        import yaml
    except ImportError:
        raise _Unreadable("is YAML and PyYAML is not installed where the index runs") from None
    try:
        return yaml.safe_load(text)
    except (yaml.YAMLError, RecursionError) as exc:
        raise _Unreadable(f"is not valid YAML ({str(exc).splitlines()[0]})") from None
