"""The demo story: a scripted history of the example pipeline, step by step. Each step names
the snippets it changes and the lineage diff a correct index reports for it; the story's last
commit on `main` is exactly the shipped `pipelines/` directory (`builder` writes it)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from lineage_history.demo.snippets import (
    CABIN_AND_PORT_ENCODERS,
    FEATURES,
    IS_CHILD,
    LOADING,
    MODEL,
    RANDOM_STATE,
    README_LINEAGE_SECTION,
    SETS,
    TITLE,
    TITLE_ENCODING,
)

__all__ = [
    "DAG_MODULES",
    "DAG_NAME",
    "SIDE_BRANCH",
    "SIDE_STORY",
    "STORY",
    "Edit",
    "StoryError",
    "StoryStep",
]

DAG_NAME = "titanic"
DAG_MODULES = (
    "pipelines/data_loading.py",
    "pipelines/features.py",
    "pipelines/sets.py",
    "pipelines/model_pipeline.py",
)
MAIN_BRANCH = "main"
SIDE_BRANCH = "experiment"
PIPELINES_PREFIX = "pipelines/"


class StoryError(RuntimeError):
    """The story no longer fits the files in `pipelines/` (a snippet is missing or repeated)."""


@dataclass(frozen=True)
class Edit:
    """Replace `before` with `after` in the file at `path` (repository-relative)."""

    path: str
    before: str
    after: str


@dataclass(frozen=True)
class StoryStep:
    """One commit of the demo story and the lineage diff it should produce.

    `expect` describes the diff from `base`, the tag of the nearest earlier step on the same
    branch whose DAG builds (the previous step, except after a broken build):
    `added`/`removed` node names, `modified` node -> sorted change kinds (`code`, `type`,
    `dependencies`, `tags`, `doc`, `role`), `renamed` (old, new) pairs (not repeated in
    added/removed), `config_changed` Hamilton config keys, `impacted` (unchanged nodes downstream
    of an added or renamed node or of a `code`/`type`/`dependencies`/`role` change),
    `reuses_previous` (the DAG and config equal the base's) and `fails` (the DAG does not build);
    and the change's classification: its `bump` and the nodes it breaks or whose data it may
    change (`breaking`, `data_changing`; every other changed node is non-breaking).
    """

    tag: str
    subject: str
    author: str
    base: str | None
    expect: dict[str, Any]
    edits: tuple[Edit, ...] = ()
    introduces: tuple[str, ...] = field(default=())


def _expect(
    added: Sequence[str] = (),
    removed: Sequence[str] = (),
    modified: Mapping[str, Sequence[str]] | None = None,
    renamed: Sequence[tuple[str, str]] = (),
    config_changed: Sequence[str] = (),
    impacted: Sequence[str] = (),
    reuses_previous: bool = False,
    fails: bool = False,
    bump: str | None = None,
    breaking: Sequence[str] = (),
    data_changing: Sequence[str] = (),
) -> dict[str, Any]:
    return {
        "added": sorted(added),
        "removed": sorted(removed),
        "modified": {name: sorted(kinds) for name, kinds in sorted((modified or {}).items())},
        "renamed": sorted(renamed),
        "config_changed": sorted(config_changed),
        "impacted": sorted(impacted),
        "reuses_previous": reuses_previous,
        "fails": fails,
        "bump": bump,
        "breaking": sorted(breaking),
        "data_changing": sorted(data_changing),
    }


def _insert_before(path: str, anchor: str, text: str) -> Edit:
    return Edit(path, anchor, text + anchor)


def _insert_after(path: str, anchor: str, text: str) -> Edit:
    return Edit(path, anchor, anchor + text)


def _delete_before(path: str, text: str, anchor: str) -> Edit:
    return Edit(path, text + anchor, anchor)


_V1_NODES = (
    # external inputs and the config key that selects `age_filled`
    "location",
    "index_col",
    "target_col",
    "age_imputation",
    "random_state",
    "validation_size_fraction",
    "max_depth",
    # data_loading: the table and the columns extracted from it
    "titanic_data",
    "pclass",
    "name",
    "sex",
    "age",
    "sibsp",
    "parch",
    "ticket",
    "fare",
    "cabin",
    "embarked",
    "survived",
    # features and sets
    "cabin_type",
    "ticket_type",
    "family_size",
    "age_filled",
    "is_child",
    "sex_encoder",
    "sex_category",
    "encoders",
    "training_set",
    # model_pipeline
    "train_test_split",
    "X_train",
    "X_test",
    "y_train",
    "y_test",
    "prefit_random_forest",
    "fit_random_forest",
    "validation_predictions",
    "validation_accuracy",
)
_TITANIC_TABLE_NODES = (
    "titanic_data",
    "pclass",
    "name",
    "sex",
    "age",
    "sibsp",
    "parch",
    "ticket",
    "fare",
    "cabin",
    "embarked",
    "survived",
)
_CODE_AND_DEPS = ("code", "dependencies")
# Everything downstream of the training set: the split, the model and its scores.
_MODEL_NODES = (
    "train_test_split",
    "X_train",
    "X_test",
    "y_train",
    "y_test",
    "fit_random_forest",
    "validation_predictions",
    "validation_accuracy",
)
_RETURN_THREE_ENCODERS = (
    '    return {"sex": sex_encoder, "cabin": cabin_encoder, "embarked": embarked_encoder}\n'
)
# An import that cannot be satisfied would build with a stand-in; a module-level use of a name
# scikit-learn no longer has fails as it did for the author.
_BROKEN_IMPORT = "PORT_ENCODER = preprocessing.CategoricalEncoder\n"

STORY: tuple[StoryStep, ...] = (
    StoryStep(
        tag="demo/empty",
        subject="Start the Titanic survival project",
        author="priya",
        base=None,
        expect=_expect(),
        introduces=("README.md", ".gitignore"),
    ),
    StoryStep(
        tag="demo/v1",
        subject="Add the first survival pipeline as a Hamilton dataflow",
        author="tomas",
        base="demo/empty",
        expect=_expect(added=_V1_NODES, config_changed=["age_imputation"], bump="minor"),
        introduces=("pyproject.toml", PIPELINES_PREFIX),
    ),
    StoryStep(
        tag="demo/sex-pii",
        subject="Tag sex as PII",
        author="priya",
        base="demo/v1",
        expect=_expect(modified={"sex": ["tags"]}, bump="patch"),
        edits=(
            Edit(
                LOADING,
                '@tag_outputs(age={"PII": "true"})\n',
                '@tag_outputs(age={"PII": "true"}, sex={"PII": "true"})\n',
            ),
        ),
    ),
    StoryStep(
        tag="demo/encoders",
        subject="Encode cabin type and port of embarkation for the model",
        author="tomas",
        base="demo/sex-pii",
        expect=_expect(
            added=["cabin_encoder", "cabin_category", "embarked_encoder", "embarked_category"],
            modified={"encoders": _CODE_AND_DEPS, "training_set": _CODE_AND_DEPS},
            impacted=_MODEL_NODES,
            bump="minor",
            data_changing=["encoders", "training_set"],
        ),
        edits=(
            _insert_before(FEATURES, "\n\n\ndef _ticket_prefix(", '\nUNKNOWN_PORT = "unknown"'),
            _insert_before(FEATURES, '\n\n\n@tag(artifact="encoders"', CABIN_AND_PORT_ENCODERS),
            _insert_after(
                FEATURES,
                "    sex_encoder: preprocessing.LabelEncoder,\n",
                "    cabin_encoder: preprocessing.LabelEncoder,\n"
                "    embarked_encoder: preprocessing.LabelEncoder,\n",
            ),
            Edit(
                FEATURES,
                '    return {"sex": sex_encoder}\n',
                _RETURN_THREE_ENCODERS,
            ),
            _insert_after(
                SETS,
                "    sex_category: pd.Series,\n",
                "    cabin_category: pd.Series,\n    embarked_category: pd.Series,\n",
            ),
            _insert_after(
                SETS,
                '            "sex": sex_category,\n',
                '            "cabin": cabin_category,\n'
                '            "embarked": embarked_category,\n',
            ),
        ),
    ),
    StoryStep(
        tag="demo/production",
        subject="Promote the passenger table to production",
        author="priya",
        base="demo/encoders",
        expect=_expect(modified={name: ["tags"] for name in _TITANIC_TABLE_NODES}, bump="patch"),
        edits=(Edit(LOADING, 'importance="prototype"', 'importance="production"'),),
    ),
    StoryStep(
        tag="demo/code-only",
        subject="Count the passenger in the family size",
        author="tomas",
        base="demo/production",
        expect=_expect(
            modified={"family_size": ["code"]},
            impacted=("training_set", *_MODEL_NODES),
            bump="minor",
            data_changing=["family_size"],
        ),
        edits=(Edit(FEATURES, "    return sibsp + parch\n", "    return sibsp + parch + 1\n"),),
    ),
    StoryStep(
        tag="demo/docs",
        subject="Document how to ask lineage questions",
        author="mei",
        base="demo/code-only",
        expect=_expect(reuses_previous=True),
        edits=(_insert_after("README.md", "tagged `demo/<step>`.\n", README_LINEAGE_SECTION),),
    ),
    StoryStep(
        tag="demo/config",
        subject="Impute missing ages with the mean",
        author="mei",
        base="demo/docs",
        expect=_expect(
            modified={"age_filled": ["code", "doc"]},
            config_changed=["age_imputation"],
            impacted=("is_child", "training_set", *_MODEL_NODES),
            bump="minor",
            data_changing=["age_filled"],
        ),
        edits=(
            Edit(
                "pyproject.toml",
                'config = { age_imputation = "median" }\n',
                'config = { age_imputation = "mean" }\n',
            ),
        ),
    ),
    StoryStep(
        tag="demo/broken",
        subject="Prepare one-hot encoding of ports",
        author="tomas",
        base="demo/config",
        expect=_expect(fails=True),
        edits=(_insert_after(FEATURES, "from sklearn import preprocessing\n", _BROKEN_IMPORT),),
    ),
    StoryStep(
        tag="demo/fixed",
        subject="Fix the encoder: scikit-learn has no CategoricalEncoder",
        author="mei",
        base="demo/config",
        expect=_expect(reuses_previous=True),
        edits=(_delete_before(FEATURES, _BROKEN_IMPORT, "\nUNKNOWN_CABIN = "),),
    ),
    StoryStep(
        tag="demo/helper",
        subject="Normalise ticket prefixes and spell out the unknown-cabin marker",
        author="tomas",
        base="demo/fixed",
        expect=_expect(
            modified={"cabin_type": ["code"], "ticket_type": ["code"]},
            impacted=("cabin_encoder", "cabin_category", "encoders", "training_set", *_MODEL_NODES),
            bump="minor",
            data_changing=["cabin_type", "ticket_type"],
        ),
        edits=(
            Edit(FEATURES, 'UNKNOWN_CABIN = "U"\n', 'UNKNOWN_CABIN = "unknown"\n'),
            Edit(
                FEATURES,
                '    return prefix.upper() or "NUMERIC"\n',
                '    return prefix.replace(".", "").replace("/", "").upper() or "NUMERIC"\n',
            ),
        ),
    ),
    StoryStep(
        tag="demo/doc",
        subject="Say what the fitted forest is for",
        author="mei",
        base="demo/helper",
        expect=_expect(modified={"fit_random_forest": ["doc"]}, bump="patch"),
        edits=(
            Edit(
                MODEL,
                '    """Fits the random forest on the training part."""\n',
                '    """The random forest fitted on the training part; the model artifact that'
                ' gets shipped."""\n',
            ),
        ),
    ),
    StoryStep(
        tag="demo/type",
        subject="Allow unlimited tree depth",
        author="tomas",
        base="demo/doc",
        expect=_expect(
            modified={"max_depth": ["type"], "prefit_random_forest": ["code"]},
            impacted=("fit_random_forest", "validation_predictions", "validation_accuracy"),
            bump="minor",  # an input that takes more than before breaks no caller
            data_changing=["prefit_random_forest"],
        ),
        edits=(Edit(MODEL, "max_depth: int)", "max_depth: int | None)"),),
    ),
    StoryStep(
        tag="demo/rename",
        subject="Rename family_size to family_count",
        author="jordan",
        base="demo/type",
        expect=_expect(
            renamed=[("family_size", "family_count")],
            modified={"training_set": _CODE_AND_DEPS},
            impacted=_MODEL_NODES,
            bump="major",
            breaking=["family_count"],
            data_changing=["training_set"],
        ),
        edits=(
            Edit(FEATURES, "def family_size(", "def family_count("),
            Edit(SETS, "    family_size: pd.Series,\n", "    family_count: pd.Series,\n"),
            Edit(SETS, '"family_size": family_size,', '"family_count": family_count,'),
        ),
    ),
    StoryStep(
        tag="demo/remove",
        subject="Drop is_child: the forest already splits on age",
        author="jordan",
        base="demo/rename",
        expect=_expect(
            removed=["is_child"],
            modified={"training_set": _CODE_AND_DEPS},
            impacted=_MODEL_NODES,
            bump="major",
            breaking=["is_child"],
            data_changing=["training_set"],
        ),
        edits=(
            _delete_before(FEATURES, IS_CHILD, "\n\n\ndef sex_encoder("),
            Edit(
                SETS,
                "    family_count: pd.Series,\n    is_child: pd.Series,\n",
                "    family_count: pd.Series,\n",
            ),
            Edit(
                SETS,
                '            "family_count": family_count,\n            "is_child": is_child,\n',
                '            "family_count": family_count,\n',
            ),
        ),
    ),
    StoryStep(
        tag="demo/role",
        subject="Pin the random seed in code",
        author="mei",
        base="demo/remove",
        expect=_expect(
            modified={"random_state": ["code", "doc", "role", "tags"]},
            impacted=("prefit_random_forest", *_MODEL_NODES),
            bump="minor",  # computed now instead of passed in: callers lose nothing
            data_changing=["random_state"],
        ),
        edits=(
            Edit(
                MODEL,
                "External inputs: `validation_size_fraction`, `max_depth` and `random_state`.\n",
                "External inputs: `validation_size_fraction` and `max_depth`.\n",
            ),
            _insert_before(MODEL, "\n\n\n@extract_fields(", RANDOM_STATE),
        ),
    ),
)
"""The steps on `main`, oldest first; the last one leaves `pipelines/` as shipped."""

FORK_TAG = "demo/fixed"
SIDE_STORY: tuple[StoryStep, ...] = (
    StoryStep(
        tag="demo/side-title",
        subject="Add a passenger title feature parsed from the name",
        author="jordan",
        base=FORK_TAG,
        expect=_expect(added=["title"], bump="minor"),
        edits=(_insert_before(FEATURES, "\n\n\ndef sex_encoder(", TITLE),),
    ),
    StoryStep(
        tag="demo/side",
        subject="Encode titles and feed them to the training set",
        author="jordan",
        base="demo/side-title",
        expect=_expect(
            added=["title_encoder", "title_category"],
            modified={"encoders": _CODE_AND_DEPS, "training_set": _CODE_AND_DEPS},
            impacted=_MODEL_NODES,
            bump="minor",
            data_changing=["encoders", "training_set"],
        ),
        edits=(
            _insert_before(FEATURES, '\n\n\n@tag(artifact="encoders"', TITLE_ENCODING),
            _insert_after(
                FEATURES,
                "    embarked_encoder: preprocessing.LabelEncoder,\n",
                "    title_encoder: preprocessing.LabelEncoder,\n",
            ),
            Edit(
                FEATURES,
                _RETURN_THREE_ENCODERS,
                "    return {\n"
                '        "sex": sex_encoder,\n'
                '        "cabin": cabin_encoder,\n'
                '        "embarked": embarked_encoder,\n'
                '        "title": title_encoder,\n'
                "    }\n",
            ),
            _insert_after(
                SETS, "    embarked_category: pd.Series,\n", "    title_category: pd.Series,\n"
            ),
            _insert_after(
                SETS,
                '            "embarked": embarked_category,\n',
                '            "title": title_category,\n',
            ),
        ),
    ),
)
"""The steps of the `experiment` branch, which forks from `FORK_TAG`."""
