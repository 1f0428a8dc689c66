"""Loads the raw Titanic passenger table and exposes each of its columns as a node.

Owned by data engineering: the column nodes below are the contract that the
feature code of the data science team builds on.
"""

import pandas as pd
from hamilton.function_modifiers import extract_columns, tag, tag_outputs


@tag_outputs(age={"PII": "true"}, sex={"PII": "true"})
@extract_columns(
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
# target_=... tags the table itself as well as every column extracted from it.
@tag(source="prod.titanic", owner="data-engineering", importance="production", target_=...)
def titanic_data(location: str, index_col: str, target_col: str) -> pd.DataFrame:
    """The passenger table read from `location`, indexed by `index_col`.

    Column names are lower-cased and the target column is exposed as `survived`.
    """
    passengers = pd.read_csv(location)
    passengers.columns = [column.strip().lower() for column in passengers.columns]
    passengers = passengers.set_index(index_col.lower())
    return passengers.rename(columns={target_col.lower(): "survived"})
