"""Splits the training set, fits the random forest survival model and scores it.

External inputs: `validation_size_fraction` and `max_depth`.
"""

import pandas as pd
from hamilton.function_modifiers import extract_fields, tag
from sklearn import base, ensemble, metrics, model_selection


def random_state() -> int:
    """The seed shared by the data split and the forest, pinned for reproducible models."""
    return 42


@extract_fields(
    {"X_train": pd.DataFrame, "X_test": pd.DataFrame, "y_train": pd.Series, "y_test": pd.Series}
)
def train_test_split(
    training_set: pd.DataFrame,
    survived: pd.Series,
    validation_size_fraction: float,
    random_state: int,
) -> dict:
    """Stratified split of features and target into training and validation parts."""
    X_train, X_test, y_train, y_test = model_selection.train_test_split(
        training_set,
        survived,
        test_size=validation_size_fraction,
        random_state=random_state,
        stratify=survived,
    )
    return {"X_train": X_train, "X_test": X_test, "y_train": y_train, "y_test": y_test}


def prefit_random_forest(random_state: int, max_depth: int | None) -> base.ClassifierMixin:
    """An unfitted random forest classifier with the chosen depth and seed."""
    return ensemble.RandomForestClassifier(
        n_estimators=50, max_depth=max_depth, random_state=random_state
    )


@tag(artifact="model", owner="data-science", importance="production")
def fit_random_forest(
    prefit_random_forest: base.ClassifierMixin,
    X_train: pd.DataFrame,
    y_train: pd.Series,
) -> base.ClassifierMixin:
    """The random forest fitted on the training part; the model artifact that gets shipped."""
    return base.clone(prefit_random_forest).fit(X_train, y_train)


def validation_predictions(
    fit_random_forest: base.ClassifierMixin, X_test: pd.DataFrame
) -> pd.Series:
    """Predicted survival (0 or 1) for each passenger of the validation part."""
    return pd.Series(fit_random_forest.predict(X_test), index=X_test.index, name="prediction")


def validation_accuracy(y_test: pd.Series, validation_predictions: pd.Series) -> float:
    """Share of validation passengers whose survival the model predicts correctly."""
    return float(metrics.accuracy_score(y_test, validation_predictions))
