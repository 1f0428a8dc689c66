"""Impact classes: what a change does to the consumers of each node (breaking, data-changing,
non-breaking), the semantic-version bump, and the `forbid_breaking` rule that gates a pull
request on it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lineage_history.dag.diff import diff
from lineage_history.dag.impact import (
    BREAKING,
    DATA_CHANGING,
    NON_BREAKING,
    classify,
    is_subtype,
    owners,
)
from lineage_history.dag.model import ROLE_INPUT, Node, Snapshot
from lineage_history.dag.policy import breaking_changes
from lineage_history.dag.rules import ForbidBreaking, parse_rule_set
from lineage_history.dag.selectors import TagFilter
from lineage_history.errors import ConfigError
from tests.fixtures import commit_file, git, run_cli

BASE = Snapshot.of(
    [
        Node("raw", "int", role=ROLE_INPUT),
        Node("clean", "int", dependencies=("raw",), code="c1", tags={"owner": "@data/eng"}),
        Node("score", "float", dependencies=("clean",), code="s1", tags={"pii": "false"}),
        Node("report", "str", dependencies=("score",), code="r1"),
    ]
)


def changed(*nodes: Node, drop: tuple[str, ...] = ()) -> Snapshot:
    kept = {n.name: n for n in BASE.nodes.values() if n.name not in drop}
    kept.update({n.name: n for n in nodes})
    return Snapshot.of(kept.values())


def impacts(after: Snapshot, **options: object) -> dict[str, tuple[str, bool]]:
    report = classify(diff(BASE, after), **options)  # type: ignore[arg-type]
    return {name: (found.impact, found.indirect) for name, found in report.nodes.items()}


def test_code_change_is_data_changing_and_reaches_downstream_indirectly() -> None:
    after = changed(
        Node("clean", "int", dependencies=("raw",), code="c2", tags={"owner": "@data/eng"})
    )
    assert impacts(after) == {
        "clean": (DATA_CHANGING, False),
        "score": (DATA_CHANGING, True),
        "report": (DATA_CHANGING, True),
    }
    assert classify(diff(BASE, after)).bump == "minor"


def test_removed_and_renamed_nodes_break() -> None:
    renamed = Node("final_report", "str", dependencies=("score",), code="r1")
    report = classify(diff(BASE, changed(renamed, drop=("report",))))
    assert report.nodes["final_report"].impact == BREAKING
    assert report.nodes["final_report"].previous == "report"
    assert report.bump == "major"
    removed = classify(diff(BASE, changed(drop=("report",))))
    assert (removed.nodes["report"].impact, removed.bump) == (BREAKING, "major")


@pytest.mark.parametrize(
    ("new_type", "impact"),
    [
        ("bool", DATA_CHANGING),
        ("float | None", BREAKING),
        ("str", BREAKING),
        ("int", DATA_CHANGING),
    ],
)
def test_output_types_break_unless_narrower(new_type: str, impact: str) -> None:
    """`score` returned float: an int or a bool still is one; None or a str is not."""
    after = changed(
        Node("score", new_type, dependencies=("clean",), code="s1", tags={"pii": "false"})
    )
    assert impacts(after)["score"] == (impact, False)


def test_input_types_break_when_narrowed_and_inputs_when_newly_required() -> None:
    widened = changed(Node("raw", "int | None", role=ROLE_INPUT))
    assert impacts(widened)["raw"] == (NON_BREAKING, False)
    narrowed = changed(Node("raw", "bool", role=ROLE_INPUT))
    assert impacts(narrowed)["raw"] == (BREAKING, False)
    new_input = changed(
        Node("threshold", "float", role=ROLE_INPUT),
        Node(
            "score", "float", dependencies=("clean", "threshold"), code="s2", tags={"pii": "false"}
        ),
    )
    assert impacts(new_input)["threshold"] == (BREAKING, False)
    # a DAG that did not exist before breaks nobody: its inputs are simply added
    first = classify(diff(Snapshot(), BASE), introduced=True)
    assert {f.impact for f in first.nodes.values()} == {NON_BREAKING} and first.bump == "minor"


def test_a_function_turned_input_breaks_an_input_computed_now_changes_data() -> None:
    became_input = changed(Node("clean", "int", role=ROLE_INPUT))
    assert impacts(became_input)["clean"] == (BREAKING, False)
    computed = changed(Node("raw", "int", code="x"))
    assert impacts(computed)["raw"] == (DATA_CHANGING, False)


def test_contractual_tags_break_when_changed_or_dropped_not_when_added() -> None:
    dropped = changed(Node("clean", "int", dependencies=("raw",), code="c1"))
    assert impacts(dropped) == {"clean": (BREAKING, False)}
    flipped = changed(
        Node("score", "float", dependencies=("clean",), code="s1", tags={"pii": "true"})
    )
    assert impacts(flipped)["score"] == (BREAKING, False)
    added = changed(Node("report", "str", dependencies=("score",), code="r1", tags={"owner": "x"}))
    assert impacts(added) == {"report": (NON_BREAKING, False)}
    # tags only move no data: nothing downstream is impacted, and the bump is a patch
    other = changed(Node("report", "str", dependencies=("score",), code="r1", tags={"team": "x"}))
    assert classify(diff(BASE, other)).bump == "patch"
    # the repository decides which tags are contractual
    assert impacts(dropped, contract_tags=("team",)) == {"clean": (NON_BREAKING, False)}


def test_docs_are_non_breaking_and_no_change_is_no_bump() -> None:
    documented = changed(Node("report", "str", dependencies=("score",), code="r1", doc="Why."))
    assert impacts(documented) == {"report": (NON_BREAKING, False)}
    assert classify(diff(BASE, BASE)).bump is None


def test_subtypes_from_type_text() -> None:
    assert is_subtype("int", "float") and is_subtype("bool", "int")
    assert is_subtype("pandas.Series", "pandas.Series | None")
    assert is_subtype("dict[str, int]", "Optional[dict[str, int]]")
    assert is_subtype("anything.Else", "Any")
    assert not is_subtype("float", "int")
    assert not is_subtype("pandas.Series | None", "pandas.Series")
    assert not is_subtype("pandas.DataFrame", "pandas.Series")


def test_owners_of_what_a_change_reaches() -> None:
    after = changed(Node("raw", "float", role=ROLE_INPUT, tags={"owner": ["ops", "@data/eng"]}))
    report = classify(diff(BASE, after))
    assert owners(report, BASE, after, "owner") == ["ops", "@data/eng"]


def test_forbid_breaking_rules_parse_and_judge_only_the_nodes_they_select() -> None:
    rules = parse_rule_set(
        'contract_tags = ["pii"]\nowner_tag = "team"\n'
        '[[rules]]\nname = "contract"\nforbid_breaking = true\nwhere = "owner"\n',
        "lineage-history.toml",
        in_pyproject=False,
    )
    assert rules is not None
    assert rules.rules == (ForbidBreaking("contract", (TagFilter("owner"),)),)
    assert (rules.contract_tags, rules.owner_tag) == (("pii",), "team")
    removed_owned = changed(drop=("clean",))
    assert [v.node for v in breaking_changes(rules.rules, BASE, removed_owned)] == ["clean"]
    removed_unowned = changed(drop=("report",))
    assert breaking_changes(rules.rules, BASE, removed_unowned) == []
    with pytest.raises(ConfigError, match="forbid_breaking must be true"):
        parse_rule_set(
            '[[rules]]\nname = "x"\nforbid_breaking = "yes"\n', "f.toml", in_pyproject=False
        )


MODULE = """from hamilton.function_modifiers import tag


def raw_orders() -> list:
    return [1, 2, 3]


@tag(contract="true")
def order_count(raw_orders: list) -> int:
    return len(raw_orders)
"""


@pytest.mark.slow
def test_check_fails_a_range_that_removes_a_contract_node_and_passes_one_that_adds(
    tmp_path: Path,
) -> None:
    repo = tmp_path / "shop"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    config = (
        '[dags.orders]\nmodules = ["orders.py"]\n\n'
        '[[rules]]\nname = "keep-the-contract"\nforbid_breaking = true\nwhere = "contract=true"\n'
    )
    commit_file(repo, "lineage-history.toml", config, "the contract")
    commit_file(repo, "orders.py", MODULE, "orders")
    added = MODULE + "\n\ndef order_total(raw_orders: list) -> int:\n    return sum(raw_orders)\n"
    commit_file(repo, "orders.py", added, "a total")
    commit_file(repo, "orders.py", added.split("@tag")[0], "no more counts")
    db = tmp_path / "db.sqlite"
    assert run_cli("index", "--repo", str(repo), "--db", str(db)).returncode == 0
    common = ("--repo", str(repo), "--db", str(db), "--format", "json")
    adding = run_cli("check", "HEAD~2", "HEAD~1", *common)
    assert adding.returncode == 0 and json.loads(adding.stdout) == {"violations": []}
    removing = run_cli("check", "HEAD~1", "HEAD", *common)
    assert removing.returncode == 1
    (violation,) = json.loads(removing.stdout)["violations"]
    assert violation["rule"] == "keep-the-contract" and violation["node"] == "order_count"
    assert violation["reasons"] == ["removed"] and violation["new"] is True
    diffed = json.loads(run_cli("diff", "HEAD~1", "HEAD", *common).stdout)
    assert diffed["bump"] == "major"
    assert diffed["nodes"]["removed"][0]["impact"] == BREAKING
