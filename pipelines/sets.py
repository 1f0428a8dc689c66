"""Assembles the model's training set from the engineered features.

The column order of the training set is part of the model's serving contract.
"""

import pandas as pd
from hamilton.function_modifiers import tag


@tag(artifact="training_set", owner="data-science")
def training_set(
    pclass: pd.Series,
    age_filled: pd.Series,
    fare: pd.Series,
    family_count: pd.Series,
    sex_category: pd.Series,
    cabin_category: pd.Series,
    embarked_category: pd.Series,
) -> pd.DataFrame:
    """One row per passenger, one numeric column per model feature."""
    return pd.DataFrame(
        {
            "pclass": pclass,
            "age": age_filled,
            "fare": fare,
            "family_count": family_count,
            "sex": sex_category,
            "cabin": cabin_category,
            "embarked": embarked_category,
        }
    )
