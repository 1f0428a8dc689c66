"""Generates the benchmark repository in one `git fast-import` process.

The repository has a Hamilton pipeline of 100+ nodes in `pipelines/` (four modules and a
helper module, with pandas and scikit-learn imports, `@tag`, `@extract_columns` and
`@config.when`), declared in `pyproject.toml` under `[tool.lineage-history.dags.bench]`, and
thousands of other files (`src/`, `docs/`, `data/`). About one commit in ten changes the
pipeline (adds a node, changes a node's body, or changes a tag); the others change other
files. Everything is derived from a seeded random generator and fixed dates, so the same
arguments give the same commit SHAs.
"""

from __future__ import annotations

import os
import random
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

DAG_NAME = "bench"
MODULES = (
    "pipelines/loading.py",
    "pipelines/cleaning.py",
    "pipelines/features.py",
    "pipelines/model.py",
)
PIPELINE_PREFIX = "pipelines/"
START_DATE = 1672531200  # 2023-01-01T00:00:00Z
AUTHORS = (
    ("Ada Analyst", "ada@example.com"),
    ("Bo Builder", "bo@example.com"),
    ("Cy Scientist", "cy@example.com"),
    ("Di Engineer", "di@example.com"),
)
OWNERS = ("data-eng", "data-science", "platform", "analytics", "ml-ops")
RAW_COLUMNS = tuple(f"col_{i:02d}" for i in range(20))
LOOKUP_COLUMNS = ("region_code", "region_weight", "segment_code", "segment_weight")
GIT_ENV = {
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_AUTHOR_NAME": AUTHORS[0][0],
    "GIT_AUTHOR_EMAIL": AUTHORS[0][1],
    "GIT_COMMITTER_NAME": AUTHORS[0][0],
    "GIT_COMMITTER_EMAIL": AUTHORS[0][1],
}


def git_env(home: Path) -> dict[str, str]:
    return {**os.environ, **GIT_ENV, "HOME": str(home)}


def git(repo: Path, *args: str) -> str:
    """Run git in a benchmark repository with its fixed identity; its stdout."""
    return subprocess.run(
        ["git", *args], cwd=repo, check=True, capture_output=True, text=True, env=git_env(repo)
    ).stdout


# -- the pipeline ---------------------------------------------------------------------------


@dataclass
class PipelineNode:
    """One generated function node: a pd.Series transform of other series nodes."""

    name: str
    module: str  # "cleaning" | "features"
    deps: list[str]
    factor: int = 1
    owner: str = "data-eng"
    pii: bool = False


@dataclass
class Pipeline:
    """The pipeline's state; `render()` gives the module files."""

    cleaning: list[PipelineNode] = field(default_factory=list)
    features: list[PipelineNode] = field(default_factory=list)
    model_owner: str = "ml-ops"
    threshold: int = 5
    added: int = 0

    @classmethod
    def initial(cls, rng: random.Random) -> Pipeline:
        pipeline = cls()
        for column in RAW_COLUMNS:
            pipeline.cleaning.append(
                PipelineNode(
                    f"clean_{column}",
                    "cleaning",
                    [column],
                    factor=rng.randint(1, 9),
                    owner=rng.choice(OWNERS),
                    pii=rng.random() < 0.2,
                )
            )
        series = [n.name for n in pipeline.cleaning] + list(LOOKUP_COLUMNS)
        for index in range(48):
            deps = sorted(rng.sample(series, rng.randint(1, 3)))
            node = PipelineNode(
                f"feature_{index:03d}",
                "features",
                deps,
                factor=rng.randint(1, 9),
                owner=rng.choice(OWNERS),
            )
            pipeline.features.append(node)
            series.append(node.name)
        return pipeline

    def series_names(self) -> list[str]:
        return [n.name for n in self.cleaning + self.features] + list(LOOKUP_COLUMNS)

    def mutate(self, rng: random.Random) -> str:
        """Change the pipeline once; returns the commit subject."""
        choice = rng.random()
        nodes = self.cleaning + self.features
        if choice < 0.4:
            deps = sorted(rng.sample(self.series_names(), rng.randint(1, 3)))
            name = f"extra_feature_{self.added:03d}"
            self.added += 1
            self.features.append(
                PipelineNode(name, "features", deps, rng.randint(1, 9), rng.choice(OWNERS))
            )
            return f"pipeline: add {name}"
        if choice < 0.75:
            node = rng.choice(nodes)
            node.factor += 1
            return f"pipeline: change the computation of {node.name}"
        if choice < 0.95:
            node = rng.choice(nodes)
            node.owner = rng.choice([o for o in OWNERS if o != node.owner])
            return f"pipeline: {node.name} is now owned by {node.owner}"
        self.threshold += 1
        return f"pipeline: raise the model threshold to {self.threshold}"

    def render(self) -> dict[str, bytes]:
        files = {
            "pipelines/__init__.py": b"",
            "pipelines/common.py": _COMMON.encode(),
            "pipelines/loading.py": _LOADING.encode(),
            "pipelines/cleaning.py": self._render_nodes(_CLEANING_HEAD, self.cleaning),
            "pipelines/features.py": self._render_nodes(_FEATURES_HEAD, self.features),
            "pipelines/model.py": _MODEL.format(
                features=", ".join(f"{n.name}: pd.Series" for n in self.features[:8]),
                columns=", ".join(n.name for n in self.features[:8]),
                owner=self.model_owner,
                threshold=self.threshold,
            ).encode(),
        }
        return files

    @staticmethod
    def _render_nodes(head: str, nodes: list[PipelineNode]) -> bytes:
        parts = [head]
        for node in nodes:
            tags = f'owner="{node.owner}"' + (', pii="true"' if node.pii else "")
            params = ", ".join(f"{dep}: pd.Series" for dep in node.deps)
            if len(node.deps) == 1:
                body = f"return scale({node.deps[0]}.fillna(0), {node.factor})"
            else:
                terms = " + ".join(f"{dep}.fillna(0)" for dep in node.deps)
                body = f"return scale({terms}, {node.factor})"
            parts.append(
                f"\n\n@tag({tags})\n"
                f"def {node.name}({params}) -> pd.Series:\n"
                f'    """{node.name.replace("_", " ").capitalize()}."""\n'
                f"    {body}\n"
            )
        return "".join(parts).encode()


_COMMON = '''"""Helpers shared by the pipeline modules (not a DAG module itself)."""

import numpy as np
import pandas as pd


def scale(values: pd.Series, factor: int) -> pd.Series:
    return values * factor / np.float64(10)
'''

_LOADING = (
    '''"""Loading: the raw extract and a lookup table, split into columns."""

import pandas as pd
from hamilton.function_modifiers import config, extract_columns, tag


@tag(owner="data-eng", source="warehouse")
@extract_columns(
'''
    + "".join(f'    "{c}",\n' for c in RAW_COLUMNS)
    + '''    "target",
)
def raw_frame(raw_path: str) -> pd.DataFrame:
    """The raw extract."""
    return pd.read_parquet(raw_path)


@extract_columns('''
    + ", ".join(f'"{c}"' for c in LOOKUP_COLUMNS)
    + ''')
def lookup_frame(lookup_path: str) -> pd.DataFrame:
    """The region and segment lookup table."""
    return pd.read_csv(lookup_path)


@config.when(environment="prod")
def raw_path__prod(bucket: str) -> str:
    """Where the raw extract lives in production."""
    return f"s3://{bucket}/raw.parquet"


@config.when_not(environment="prod")
def raw_path__dev() -> str:
    """A local sample of the raw extract."""
    return "data/sample.parquet"
'''
)

_CLEANING_HEAD = '''"""Cleaning: one cleaned series per raw column."""

import pandas as pd
from pipelines.common import scale
from hamilton.function_modifiers import tag
'''

_FEATURES_HEAD = '''"""Features derived from the cleaned columns."""

import pandas as pd
from pipelines.common import scale
from hamilton.function_modifiers import tag
'''

_MODEL = '''"""The model: a feature matrix, a scaler and a classifier."""

import pandas as pd
from hamilton.function_modifiers import tag
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

THRESHOLD = {threshold}


@tag(owner="{owner}")
def feature_matrix({features}) -> pd.DataFrame:
    """The model's input features."""
    return pd.concat([{columns}], axis=1)


def split(feature_matrix: pd.DataFrame, target: pd.Series, random_state: int) -> dict:
    """Train and test sets."""
    x_train, x_test, y_train, y_test = train_test_split(
        feature_matrix, target, random_state=random_state
    )
    return {{"x_train": x_train, "x_test": x_test, "y_train": y_train, "y_test": y_test}}


def scaler(split: dict) -> StandardScaler:
    """A scaler fitted on the training features."""
    return StandardScaler().fit(split["x_train"])


@tag(owner="{owner}", artifact="model")
def classifier(split: dict, scaler: StandardScaler) -> LogisticRegression:
    """The fitted classifier."""
    return LogisticRegression(max_iter=THRESHOLD * 100).fit(
        scaler.transform(split["x_train"]), split["y_train"]
    )


def test_accuracy(classifier: LogisticRegression, scaler: StandardScaler, split: dict) -> float:
    """Accuracy on the test set."""
    return float(classifier.score(scaler.transform(split["x_test"]), split["y_test"]))
'''

_PYPROJECT = """[project]
name = "bench-service"
version = "1.0.0"
requires-python = ">=3.10"

[tool.lineage-history.dags.{dag}]
modules = [{modules}]
config = {{ environment = "dev", random_state = 42 }}
"""


def pyproject() -> bytes:
    return _PYPROJECT.format(dag=DAG_NAME, modules=", ".join(f'"{m}"' for m in MODULES)).encode()


# -- the other files ------------------------------------------------------------------------


def _other_path(index: int, count: int) -> str:
    """Half source files, a quarter docs, a quarter data, 50 files per directory."""
    if index < count // 2:
        return f"src/service_{index // 50:02d}/mod_{index % 50:03d}.py"
    index -= count // 2
    if index < count // 4:
        return f"docs/section_{index // 50:02d}/page_{index % 50:03d}.md"
    index -= count // 4
    return f"data/part_{index // 50:02d}/table_{index % 50:03d}.csv"


def _other_content(path: str, revision: int) -> bytes:
    if path.endswith(".py"):
        name = path.rsplit("/", 1)[-1][:-3]
        text = (
            f'"""Service module {name} (revision {revision})."""\n\n'
            f"import json\n\nLIMIT = {revision + 10}\n\n\n"
            f"def handle_{name}(payload: str) -> dict:\n"
            f"    data = json.loads(payload)\n"
            f"    return {{k: v for k, v in data.items() if len(str(v)) < LIMIT}}\n"
        )
    elif path.endswith(".md"):
        text = f"# {path}\n\nRevision {revision}.\n\n" + "Some documentation text. " * 12 + "\n"
    else:
        text = "id,value,weight\n" + "".join(
            f"{i},{(i * 7 + revision) % 100},{i % 3}\n" for i in range(12)
        )
    return text.encode()


# -- the history ----------------------------------------------------------------------------


@dataclass
class GeneratedRepo:
    path: Path
    shas: list[str]  # commit SHAs, oldest first
    pipeline_commits: list[int]  # indices into shas of the commits that change pipelines/
    other_files: int


def _data(content: bytes) -> bytes:
    return b"data %d\n" % len(content) + content + b"\n"


def _commit(
    mark: int,
    when: int,
    author: tuple[str, str],
    subject: str,
    files: dict[str, bytes],
    parent: str | None = None,
) -> bytes:
    ident = f"{author[0]} <{author[1]}> {when} +0000".encode()
    out = [b"commit refs/heads/main\n", b"mark :%d\n" % mark]
    out += [b"author " + ident + b"\n", b"committer " + ident + b"\n"]
    out.append(_data(subject.encode()))
    if parent:
        out.append(b"from " + parent.encode() + b"\n")
    for path, content in sorted(files.items()):
        out.append(b"M 100644 inline " + path.encode() + b"\n" + _data(content))
    return b"".join(out)


def append_commits(
    repo: Path,
    count: int,
    *,
    other_files: int,
    seed: int,
    start_index: int,
    pipeline_share: float = 0.0,
    pipeline: Pipeline | None = None,
    rng: random.Random | None = None,
) -> tuple[list[str], list[int]]:
    """Append `count` commits to `main` (continuing from its tip); returns their SHAs and the
    indices (relative to the first appended commit) of those that change the pipeline."""
    rng = rng or random.Random(seed)
    revisions: dict[str, int] = {}
    stream = [b"feature done\n"]
    tip = subprocess.run(
        ["git", "rev-parse", "--verify", "-q", "refs/heads/main"],
        cwd=repo,
        capture_output=True,
        text=True,
        env=git_env(repo),
    ).stdout.strip()
    pipeline_indices: list[int] = []
    for offset in range(count):
        number = start_index + offset
        when = START_DATE + number * 3600
        author = AUTHORS[number % len(AUTHORS)]
        if pipeline is not None and rng.random() < pipeline_share:
            subject = pipeline.mutate(rng)
            files = pipeline.render()
            pipeline_indices.append(offset)
        else:
            files = {}
            for _ in range(rng.randint(1, 3)):
                path = _other_path(rng.randrange(other_files), other_files)
                revisions[path] = revisions.get(path, 0) + 1 + number
                files[path] = _other_content(path, revisions[path])
            subject = f"update {', '.join(sorted(files))}"
        parent = tip if offset == 0 and tip else None
        stream.append(_commit(offset + 1, when, author, subject, files, parent))
    stream.append(b"done\n")
    marks = repo / ".git" / "bench-marks"
    subprocess.run(
        ["git", "fast-import", "--quiet", "--force", f"--export-marks={marks}"],
        cwd=repo,
        input=b"".join(stream),
        check=True,
        env=git_env(repo),
    )
    by_mark = {}
    for line in marks.read_text().splitlines():
        mark, sha = line.split()
        by_mark[int(mark[1:])] = sha
    marks.unlink()
    return [by_mark[i + 1] for i in range(count)], pipeline_indices


def generate(
    repo: Path,
    commits: int,
    *,
    other_files: int = 2000,
    pipeline_share: float = 0.1,
    seed: int = 7,
) -> GeneratedRepo:
    """A new repository at `repo` with `commits` commits on `main`."""
    repo = repo.resolve()  # git fast-import runs inside it and is given paths below it
    repo.mkdir(parents=True, exist_ok=False)
    env = git_env(repo)
    subprocess.run(["git", "init", "-q", "-b", "main", str(repo)], check=True, env=env)
    rng = random.Random(seed)
    pipeline = Pipeline.initial(rng)
    # The first commit: every file.
    files = {"pyproject.toml": pyproject(), "README.md": b"# bench-service\n"}
    files.update(pipeline.render())
    for index in range(other_files):
        path = _other_path(index, other_files)
        files[path] = _other_content(path, 0)
    first = _commit(1, START_DATE, AUTHORS[0], "initial import", files)
    marks = repo / ".git" / "bench-marks"
    subprocess.run(
        ["git", "fast-import", "--quiet", f"--export-marks={marks}"],
        cwd=repo,
        input=b"feature done\n" + first + b"done\n",
        check=True,
        env=env,
    )
    marks.unlink()
    first_sha = subprocess.run(
        ["git", "rev-parse", "main"], cwd=repo, capture_output=True, text=True, env=env
    ).stdout.strip()
    shas, indices = append_commits(
        repo,
        commits - 1,
        other_files=other_files,
        seed=seed,
        start_index=1,
        pipeline_share=pipeline_share,
        pipeline=pipeline,
        rng=rng,
    )
    subprocess.run(["git", "checkout", "-q", "-f", "main"], cwd=repo, check=True, env=env)
    return GeneratedRepo(repo, [first_sha, *shas], [i + 1 for i in indices], other_files)
