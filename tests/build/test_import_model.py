"""Every commit is built the way its own code runs: packages imported by dotted name from
their import roots, `src/` layouts, relative imports, symlinks, submodules, and helpers in
other modules followed by the code fingerprints."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fixtures import Repo, changed, dependencies, git, hamilton_on_checkout, impacted

SRC_CONFIG = """
[dags.orders]
modules = ["src/shop/pipeline/orders.py"]
"""

ORDERS = """
import pandas as pd

from shop.common import money
from . import utils


def raw_orders(path: str) -> pd.DataFrame:
    return pd.DataFrame({"amount": [1.0, 2.0]})


def amounts(raw_orders: pd.DataFrame) -> pd.Series:
    return money.rounded(utils.clean(raw_orders["amount"]))


def total(amounts: pd.Series) -> float:
    return float(amounts.sum())
"""


def _src_layout(repo: Repo) -> dict[str, str]:
    files = {
        "lineage-history.toml": SRC_CONFIG,
        "src/shop/__init__.py": "",
        "src/shop/common/__init__.py": "",
        "src/shop/common/money.py": """
            def rounded(values):
                return values.round(2)
            """,
        "src/shop/pipeline/__init__.py": "",
        "src/shop/pipeline/utils.py": """
            def clean(values):
                return values.fillna(0)
            """,
        "src/shop/pipeline/orders.py": ORDERS,
        "README.md": "shop\n",
    }
    shas = {"v1": repo.commit("src layout", files)}
    shas["money"] = repo.commit(
        "money rounds to cents differently",
        {
            "src/shop/common/money.py": """
            def rounded(values):
                return values.round(1)
            """
        },
    )
    shas["readme"] = repo.commit("docs", {"README.md": "shop, documented\n"})
    shas["utils"] = repo.commit(
        "clean drops instead",
        {
            "src/shop/pipeline/utils.py": """
            def clean(values):
                return values.dropna()
            """
        },
    )
    return shas


@pytest.mark.slow
def test_src_layout_with_relative_and_absolute_imports_builds_like_hamilton(
    tmp_path: Path,
) -> None:
    repo = Repo(tmp_path / "shop")
    shas = _src_layout(repo)
    repo.index()
    status = repo.cli("status", "--format", "json")
    assert status["failed"] == 0
    built = repo.nodes("main")
    assert dependencies(built) == hamilton_on_checkout(
        repo.path, "main", ["shop.pipeline.orders"], ["src"]
    )

    # A helper in another package, then one in a sibling module: `code` on exactly the node
    # that uses it, `impacted` downstream, nothing else.
    for before, after in (("v1", "money"), ("readme", "utils")):
        result = repo.diff(shas[before], shas[after])
        assert changed(result) == {"amounts": ["code"]}, (before, after)
        assert impacted(result) == ["total"]
        assert result["summary"]["added"] == result["summary"]["removed"] == 0
    # A change outside the import closure is no change and no build.
    assert repo.diff(shas["money"], shas["readme"])["summary"]["modified"] == 0


def test_outside_changes_reuse_the_build(tmp_path: Path) -> None:
    repo = Repo(tmp_path / "shop")
    _src_layout(repo)
    result = repo.index("--exact-keys")  # with structure keys, money and utils are refreshed
    # v1, money and utils change the closure; the docs commit reuses money's build.
    assert "3 built, 1 reused" in result.stdout + result.stderr


HELPERS_CONFIG = """
[dags.helpers]
modules = ["flow/nodes.py"]
"""

NODES = """
import cleaning
from utils import clean
from settings.constants import THRESHOLD
from shapes import Scaler


def _scaler(factor: int):
    def scaled(base: int) -> int:
        return base * factor

    return scaled


scaled = _scaler(2)


def cleaned(raw: str) -> str:
    return clean(raw)


def stripped(raw: str) -> str:
    return cleaning.strip(raw)


def flagged(base: int) -> bool:
    return base > THRESHOLD


def resized(base: int) -> float:
    return base * Scaler.factor


def report(cleaned: str, stripped: str, flagged: bool, resized: float, scaled: int) -> str:
    return f"{cleaned} {stripped} {flagged} {resized} {scaled}"
"""


@pytest.mark.slow
def test_helpers_in_other_modules_are_code_changes_of_exactly_their_users(
    tmp_path: Path,
) -> None:
    repo = Repo(tmp_path / "helpers")
    edits = {
        "utils": ("flow/utils.py", "s.strip()", "s.strip().lower()"),
        "cleaning": ("flow/cleaning.py", "s.strip('x')", "s.strip('y')"),
        "constant": ("settings/constants.py", "THRESHOLD = 3", "THRESHOLD = 4"),
        "class": ("flow/shapes.py", "factor = 2.0", "factor = 2.5"),
        "factory": ("flow/nodes.py", "_scaler(2)", "_scaler(1000)"),
    }
    files = {
        "lineage-history.toml": HELPERS_CONFIG,
        "flow/nodes.py": NODES,
        "flow/utils.py": "def clean(s):\n    return s.strip()\n",
        "flow/cleaning.py": "def strip(s):\n    return s.strip('x')\n",
        "flow/shapes.py": "class Scaler:\n    factor = 2.0\n",
        "settings/__init__.py": "",
        "settings/constants.py": "THRESHOLD = 3\n",
    }
    shas = {"start": repo.commit("start", files)}
    for name, (path, old, new) in edits.items():
        text = (repo.path / path).read_text()
        assert old in text
        shas[name] = repo.commit(f"edit {name}", {path: text.replace(old, new)})
    repo.index()
    assert repo.cli("status", "--format", "json")["failed"] == 0
    expected = {
        "utils": "cleaned",
        "cleaning": "stripped",
        "constant": "flagged",
        "class": "resized",
        "factory": "scaled",
    }
    previous = "start"
    for name, node in expected.items():
        result = repo.diff(shas[previous], shas[name])
        assert changed(result) == {node: ["code"]}, name
        assert impacted(result) == ["report"], name
        previous = name
    assert dependencies(repo.nodes("main")) == hamilton_on_checkout(
        repo.path, "main", ["nodes"], ["flow", ""]
    )


def test_two_dags_with_same_named_modules_keep_their_own_helpers(tmp_path: Path) -> None:
    repo = Repo(tmp_path / "twins")
    config = """
        [dags.ingest]
        modules = ["ingest/features.py"]
        [dags.model]
        modules = ["model/features.py"]
        """
    feature = """
        from utils import helper

        def {name}(x: int) -> int:
            return helper(x)
        """
    files = {
        "lineage-history.toml": config,
        "ingest/features.py": feature.format(name="ingested"),
        "ingest/utils.py": "def helper(x):\n    return x + 1\n",
        "model/features.py": feature.format(name="modelled"),
        "model/utils.py": "def helper(x):\n    return x * 2\n",
    }
    first = repo.commit("two dags", files)
    second = repo.commit("model helper", {"model/utils.py": "def helper(x):\n    return x * 3\n"})
    result = repo.index()
    # ingest once, model once; model's helper edit (a body) is refreshed without a build
    assert "2 built, 1 refreshed without a build" in result.stdout + result.stderr
    assert set(repo.nodes("main", "ingest")) == {"ingested", "x"}
    assert repo.diff(first, second, "ingest")["summary"]["modified"] == 0
    assert changed(repo.diff(first, second, "model")) == {"modelled": ["code"]}


def test_symlinked_module_and_submodule_inside_the_package(tmp_path: Path) -> None:
    library = Repo(tmp_path / "library")
    library.commit("lib", {"lib.py": "X = 1\n"})
    repo = Repo(tmp_path / "linked")
    repo.write(
        {
            "lineage-history.toml": '[dags.p]\nmodules = ["p/nodes.py"]\n',
            "lib/helpers.py": "def double(x):\n    return 2 * x\n",
            "p/nodes.py": "from helpers import double\n\ndef y(x: int) -> int:\n"
            "    return double(x)\n",
        }
    )
    (repo.path / "p" / "helpers.py").symlink_to("../lib/helpers.py")
    first = repo.commit("symlinked helper")
    git(repo.path, "-c", "protocol.file.allow=always", "submodule", "add", "-q",
        str(library.path), "p/vendored")  # fmt: skip
    second = repo.commit("a submodule inside the package")
    third = repo.commit("helper triples", {"lib/helpers.py": "def double(x):\n    return 3 * x\n"})
    repo.index()
    assert repo.cli("status", "--format", "json")["failed"] == 0
    assert set(repo.nodes(second)) == {"x", "y"}
    assert repo.diff(first, second)["summary"]["modified"] == 0
    assert changed(repo.diff(second, third)) == {"y": ["code"]}


def test_date_valued_config_is_stored_and_diffed(tmp_path: Path) -> None:
    repo = Repo(tmp_path / "dated")
    module = """
        import datetime

        def window(start: datetime.date) -> int:
            return start.year
        """
    config = """
        [dags.d]
        modules = ["d.py"]
        config = {{ start = {date}, tables = {{ a = [1, 2], since = 2023-12-31T08:00:00 }} }}
        """
    first = repo.commit(
        "dated", {"d.py": module, "lineage-history.toml": config.format(date="2024-01-01")}
    )
    second = repo.commit("moved", {"lineage-history.toml": config.format(date="2024-02-01")})
    repo.index()
    assert repo.cli("status", "--format", "json")["failed"] == 0
    nodes = repo.nodes(second)
    assert nodes["start"]["type"] == "datetime.date"  # Hamilton got a real date
    result = repo.diff(first, second)
    assert result["config"]["changed"] == ["start"]
    assert result["config"]["after"]["start"] == "2024-02-01"
    assert result["config"]["after"]["tables"] == {"a": [1, 2], "since": "2023-12-31T08:00:00"}


def test_metadata_decorators_are_tags_however_spelled(tmp_path: Path) -> None:
    repo = Repo(tmp_path / "spelled")
    module = """
        import pandas as pd
        from hamilton import function_modifiers as fm
        from hamilton.function_modifiers import schema
        from hamilton.function_modifiers import tag as label
        from meta import owned

        @label(owner="{owner}")
        def a(x: int) -> int:
            return x

        @fm.tag(pii="{pii}")
        def b(a: int) -> int:
            return a

        @schema.output(("col", "{kind}"))
        def c(b: int) -> pd.DataFrame:
            return pd.DataFrame(dict(col=[b]))

        @owned("{owner}")
        def d(c: pd.DataFrame) -> int:
            return len(c)
        """
    meta = """
        from hamilton.function_modifiers import tag

        class owned(tag):
            def __init__(self, who: str) -> None:
                super().__init__(owner=who)
        """
    config = '[dags.m]\nmodules = ["m.py"]\n'
    values = {"owner": "ds", "pii": "false", "kind": "int"}
    first = repo.commit(
        "one", {"m.py": module.format(**values), "meta.py": meta, "lineage-history.toml": config}
    )
    values = {"owner": "de", "pii": "true", "kind": "str"}
    second = repo.commit("two", {"m.py": module.format(**values)})
    repo.index()
    assert changed(repo.diff(first, second)) == {
        "a": ["tags"],
        "b": ["tags"],
        "c": ["tags"],
        "d": ["tags"],
    }


@pytest.mark.slow
def test_dataflows_that_extend_hamilton_come_from_the_repository(tmp_path: Path) -> None:
    """apache/hamilton's contrib dataflows live in `contrib/hamilton/contrib/user/...` and
    install into `hamilton.contrib`: the installed Hamilton stays, the dataflow is the
    commit's."""
    repo = Repo(tmp_path / "contrib")
    flow = """
        import sys

        from hamilton.contrib.user.alice.helpers import shout


        def greeting(name: str) -> str:
            return shout(name)


        if __name__ == "__main__":
            from hamilton import driver

            dr = driver.Builder().with_modules(sys.modules[__name__]).build()
        """
    package = "contrib/hamilton/contrib/user/alice"
    files = {
        "contrib/hamilton/__init__.py": "",
        "contrib/hamilton/contrib/__init__.py": "",
        "contrib/hamilton/contrib/user/__init__.py": "",
        f"{package}/__init__.py": "",
        f"{package}/helpers.py": "def shout(s):\n    return s.upper()\n",
        f"{package}/flow/__init__.py": flow,
    }
    first = repo.commit("a dataflow", files)
    second = repo.commit("quieter", {f"{package}/helpers.py": "def shout(s):\n    return s\n"})
    repo.index()
    dags = repo.cli("dags", "--format", "json")
    assert [d["name"] for d in dags] == [f"{package}/flow/__init__"]
    assert dags[0]["status"] == "ok"
    assert set(repo.nodes(first)) == {"greeting", "name"}
    assert changed(repo.diff(first, second)) == {"greeting": ["code"]}


def test_a_dag_module_inside_the_repositorys_own_hamilton_package(tmp_path: Path) -> None:
    """In apache/hamilton, `hamilton/dataflows/template/` is a DAG module that the installed
    Hamilton also has: the build uses the commit's file, the rest of Hamilton stays."""
    repo = Repo(tmp_path / "own")
    template = "from . import steps\n\ndef shaped(raw: str) -> str:\n    return steps.trim(raw)\n"
    files = {
        "lineage-history.toml": '[dags.t]\nmodules = ["hamilton/dataflows/template/__init__.py"]\n',
        "hamilton/__init__.py": "raise RuntimeError('the repository copy of hamilton')\n",
        "hamilton/dataflows/__init__.py": "",
        "hamilton/dataflows/template/__init__.py": template,
        "hamilton/dataflows/template/steps.py": "def trim(s):\n    return s.strip()\n",
    }
    first = repo.commit("template", files)
    second = repo.commit(
        "steps", {"hamilton/dataflows/template/steps.py": "def trim(s):\n    return s\n"}
    )
    repo.index()
    assert set(repo.nodes(first)) == {"shaped", "raw"}
    assert changed(repo.diff(first, second)) == {"shaped": ["code"]}
