"""Feature engineering for the survival model: derived features and label encoders.

Owned by data science. Each categorical feature gets a fitted LabelEncoder; the
encoders are collected in the `encoders` artifact so that serving applies the same
mapping as training.
"""

import pandas as pd
from hamilton.function_modifiers import config, tag
from sklearn import preprocessing

UNKNOWN_CABIN = "unknown"
UNKNOWN_PORT = "unknown"


def _ticket_prefix(ticket: str) -> str:
    """The issuing office printed before a ticket number, or `NUMERIC` when there is none."""
    prefix, _, _number = ticket.strip().rpartition(" ")
    return prefix.replace(".", "").replace("/", "").upper() or "NUMERIC"


def cabin_type(cabin: pd.Series) -> pd.Series:
    """The deck letter of the passenger's cabin, or the unknown-cabin marker."""
    return cabin.str[0].fillna(UNKNOWN_CABIN)


def ticket_type(ticket: pd.Series) -> pd.Series:
    """The ticket's issuing-office prefix, a proxy for where and how it was bought."""
    return ticket.astype(str).map(_ticket_prefix)


def family_count(sibsp: pd.Series, parch: pd.Series) -> pd.Series:
    """Size of the family group the passenger travels with."""
    return sibsp + parch + 1


@config.when(age_imputation="median")
def age_filled__median(age: pd.Series) -> pd.Series:
    """Passenger age with missing values replaced by the median age."""
    return age.fillna(age.median())


@config.when(age_imputation="mean")
def age_filled__mean(age: pd.Series) -> pd.Series:
    """Passenger age with missing values replaced by the mean age."""
    return age.fillna(age.mean())


def sex_encoder(sex: pd.Series) -> preprocessing.LabelEncoder:
    """A LabelEncoder fitted on the passengers' sex."""
    return preprocessing.LabelEncoder().fit(sex)


def sex_category(sex: pd.Series, sex_encoder: preprocessing.LabelEncoder) -> pd.Series:
    """The passengers' sex encoded as integers."""
    return pd.Series(sex_encoder.transform(sex), index=sex.index, name="sex_category")


def cabin_encoder(cabin_type: pd.Series) -> preprocessing.LabelEncoder:
    """A LabelEncoder fitted on the cabin types."""
    return preprocessing.LabelEncoder().fit(cabin_type)


def cabin_category(cabin_type: pd.Series, cabin_encoder: preprocessing.LabelEncoder) -> pd.Series:
    """The cabin types encoded as integers."""
    encoded = cabin_encoder.transform(cabin_type)
    return pd.Series(encoded, index=cabin_type.index, name="cabin_category")


def embarked_encoder(embarked: pd.Series) -> preprocessing.LabelEncoder:
    """A LabelEncoder fitted on the ports of embarkation, missing ports included."""
    return preprocessing.LabelEncoder().fit(embarked.fillna(UNKNOWN_PORT))


def embarked_category(
    embarked: pd.Series, embarked_encoder: preprocessing.LabelEncoder
) -> pd.Series:
    """The ports of embarkation encoded as integers."""
    encoded = embarked_encoder.transform(embarked.fillna(UNKNOWN_PORT))
    return pd.Series(encoded, index=embarked.index, name="embarked_category")


@tag(artifact="encoders", owner="data-science")
def encoders(
    sex_encoder: preprocessing.LabelEncoder,
    cabin_encoder: preprocessing.LabelEncoder,
    embarked_encoder: preprocessing.LabelEncoder,
) -> dict[str, preprocessing.LabelEncoder]:
    """The fitted encoders by feature name, stored with the model for serving."""
    return {"sex": sex_encoder, "cabin": cabin_encoder, "embarked": embarked_encoder}
