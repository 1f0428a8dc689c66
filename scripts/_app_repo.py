"""Generates an application-shaped repository in one `git fast-import` process: what a large
service that builds its DAGs from pipeline modules looks like to the indexer.

- `service/pipelines/p_NNN.py`: N pipeline modules, each a Hamilton module that builds its
  own driver (`driver.Builder().with_modules(sys.modules[__name__])`, found by discovery),
  and every one of them imports the same shared helpers `service/shared/settings.py`,
  `utils.py` and `providers.py`;
- `ui/` and `deploy/`: a few thousand non-Python files beside it;
- a history where most commits edit a helper's function bodies, some a helper's module-level
  constants, some a pipeline module or the non-Python tree, some add or remove a pipeline.

A seeded generator and fixed dates: the same arguments give the same commit SHAs.
"""

from __future__ import annotations

import random
import subprocess
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from _bench_repo import AUTHORS, START_DATE, _commit, git_env

PIPELINES = "service/pipelines"
SHARED = "service/shared"
# What the commits of the history do, and how often (the rest edit the non-Python tree).
KINDS = (
    ("helper body", 0.55),
    ("helper constant", 0.08),
    ("pipeline", 0.12),
    ("add pipeline", 0.02),
    ("remove pipeline", 0.01),
)

_SETTINGS = '''"""Settings every pipeline reads."""

TIMEOUT = {timeout}
RETRIES = {retries}
THRESHOLDS = {{"default": {threshold}, "strict": {strict}}}


class Settings:
    region = "{region}"
    batch_size = {batch}
'''

_UTILS = '''"""Helpers every pipeline calls."""

from service.shared.settings import RETRIES, TIMEOUT


def fetch(query: str) -> dict:
    return {{"query": query, "timeout": TIMEOUT, "rows": {rows}}}


def clean(payload: dict) -> dict:
    return {{key: value for key, value in payload.items() if value is not None}}


def retry(count: int = RETRIES) -> int:
    return count * {backoff}


def normalise(value: float) -> float:
    return round(value / {scale}, 4)
'''

_PROVIDERS = '''"""Clients of the services the pipelines call."""

from service.shared import utils


class Provider:
    def __init__(self, name: str) -> None:
        self.name = name

    def score(self, payload: dict) -> float:
        return utils.normalise(len(payload) * {weight})
'''

_PIPELINE = '''"""Pipeline {index}: one DAG of the service."""

import sys

from hamilton import driver
from hamilton.function_modifiers import tag

from service.shared import settings, utils
from service.shared.providers import Provider


def source_{index}(query: str) -> dict:
    return utils.fetch(query)


def cleaned_{index}(source_{index}: dict) -> dict:
    return utils.clean(source_{index})


@tag(owner="team-{team}")
def scored_{index}(cleaned_{index}: dict, provider: Provider) -> float:
    return provider.score(cleaned_{index}) * settings.THRESHOLDS["default"]
{extra}

class Pipeline{index}:
    def __init__(self) -> None:
        self._driver = driver.Builder().with_modules(sys.modules[__name__]).build()
'''

_EXTRA = """

def step_{index}_{step}(scored_{index}: float) -> float:
    return utils.normalise(scored_{index} + {value})
"""


@dataclass
class AppState:
    """The files the generator edits, as numbers it renders from."""

    shared: dict[str, dict[str, int]]
    pipelines: dict[int, list[int]] = field(default_factory=dict)  # index -> its step values
    next_index: int = 0

    def render(self) -> dict[str, bytes]:
        settings, utils, providers = (self.shared[n] for n in ("settings", "utils", "providers"))
        files = {
            f"{SHARED}/__init__.py": b"",
            "service/__init__.py": b"",
            f"{PIPELINES}/__init__.py": b"",
            f"{SHARED}/settings.py": _SETTINGS.format(region="eu", **settings).encode(),
            f"{SHARED}/utils.py": _UTILS.format(**utils).encode(),
            f"{SHARED}/providers.py": _PROVIDERS.format(**providers).encode(),
        }
        for index, steps in self.pipelines.items():
            files[self.pipeline_path(index)] = self.pipeline(index, steps)
        return files

    @staticmethod
    def pipeline_path(index: int) -> str:
        return f"{PIPELINES}/p_{index:03d}.py"

    @staticmethod
    def pipeline(index: int, steps: list[int]) -> bytes:
        extra = "".join(
            _EXTRA.format(index=index, step=n, value=value) for n, value in enumerate(steps)
        )
        return _PIPELINE.format(index=index, team=index % 5, extra=extra).encode()

    def add_pipeline(self, rng: random.Random) -> int:
        index, self.next_index = self.next_index, self.next_index + 1
        self.pipelines[index] = [rng.randrange(100) for _ in range(rng.randint(2, 6))]
        return index


def _ui_path(index: int) -> str:
    if index % 4 == 3:
        return f"deploy/env_{index // 200:02d}/service_{index % 200:03d}.yaml"
    return f"ui/src/feature_{index // 40:03d}/component_{index % 40:02d}.tsx"


def _ui_content(path: str, revision: int) -> bytes:
    if path.endswith(".yaml"):
        return f"service: {path}\nreplicas: {revision % 5 + 1}\nrevision: {revision}\n".encode()
    name = path.rsplit("/", 1)[-1][:-4]
    return (
        f'export function {name}() {{\n  return <div data-revision="{revision}">{name}</div>;\n}}\n'
    ).encode()


def _mutate(state: AppState, kind: str, rng: random.Random) -> str:
    """Change `state` as a commit of that kind would; its subject."""
    if kind == "helper body":
        key = rng.choice(
            [("utils", "rows"), ("utils", "backoff"), ("utils", "scale"), ("providers", "weight")]
        )
        state.shared[key[0]][key[1]] += 1
        return f"tune {key[0]}.{key[1]}"
    if kind == "helper constant":
        key = rng.choice(["timeout", "retries", "threshold", "strict", "batch"])
        state.shared["settings"][key] += 1
        return f"settings: {key}"
    if kind == "remove pipeline" and len(state.pipelines) > 1:
        index = rng.choice(sorted(state.pipelines))
        del state.pipelines[index]
        return f"retire pipeline {index}"
    if kind in ("add pipeline", "remove pipeline"):
        return f"add pipeline {state.add_pipeline(rng)}"
    index = rng.choice(sorted(state.pipelines))
    steps = state.pipelines[index]
    if rng.random() < 0.5 and len(steps) < 8:
        steps.append(rng.randrange(100))
        return f"pipeline {index}: a step"
    steps[rng.randrange(len(steps))] += 1
    return f"pipeline {index}: tune a step"


@dataclass
class AppRepo:
    path: Path
    shas: list[str]  # oldest first
    kinds: Counter[str]  # how many commits of each kind
    pipelines: int  # pipeline modules at HEAD


def _pick(rng: random.Random) -> str:
    roll = rng.random()
    for kind, share in KINDS:
        if roll < share:
            return kind
        roll -= share
    return "other files"


def generate(
    repo: Path, commits: int, *, pipelines: int = 100, other_files: int = 3000, seed: int = 11
) -> AppRepo:
    """A new repository at `repo`: `commits` commits, `pipelines` pipeline modules at first."""
    repo = repo.resolve()
    repo.mkdir(parents=True, exist_ok=False)
    env = git_env(repo)
    subprocess.run(["git", "init", "-q", "-b", "main", str(repo)], check=True, env=env)
    rng = random.Random(seed)
    state = AppState(
        {
            "settings": {"timeout": 30, "retries": 3, "threshold": 5, "strict": 9, "batch": 100},
            "utils": {"rows": 10, "backoff": 2, "scale": 100},
            "providers": {"weight": 3},
        }
    )
    for _ in range(pipelines):
        state.add_pipeline(rng)
    files = state.render()
    files.update({_ui_path(i): _ui_content(_ui_path(i), 0) for i in range(other_files)})
    stream = [b"feature done\n", _commit(1, START_DATE, AUTHORS[0], "initial import", files)]
    kinds: Counter[str] = Counter()
    shown = state.render()
    for number in range(1, commits):
        kind = _pick(rng)
        kinds[kind] += 1
        if kind == "other files":
            path = _ui_path(rng.randrange(other_files))
            changed = {path: _ui_content(path, number)}
            subject = f"ui: {path}"
        else:
            subject = _mutate(state, kind, rng)
            rendered = state.render()
            changed = {p: c for p, c in rendered.items() if shown.get(p) != c}
            changed.update({p: None for p in shown if p not in rendered})  # type: ignore[misc]
            shown = rendered
        author = AUTHORS[number % len(AUTHORS)]
        stream.append(_file_commit(number + 1, START_DATE + number * 600, author, subject, changed))
    stream.append(b"done\n")
    marks = repo / ".git" / "app-marks"
    subprocess.run(
        ["git", "fast-import", "--quiet", f"--export-marks={marks}"],
        cwd=repo,
        input=b"".join(stream),
        check=True,
        env=env,
    )
    by_mark = dict(line.split() for line in marks.read_text().splitlines())
    marks.unlink()
    subprocess.run(["git", "checkout", "-q", "-f", "main"], cwd=repo, check=True, env=env)
    shas = [by_mark[f":{i}"] for i in range(1, commits + 1)]
    return AppRepo(repo, shas, kinds, len(state.pipelines))


def _file_commit(
    mark: int, when: int, author: tuple[str, str], subject: str, files: dict[str, bytes | None]
) -> bytes:
    """A commit that writes the files given and deletes those mapped to None."""
    kept = {path: content for path, content in files.items() if content is not None}
    text = _commit(mark, when, author, subject, kept)
    deletes = b"".join(
        b"D " + path.encode() + b"\n" for path, c in sorted(files.items()) if c is None
    )
    return text + deletes
