"""Writes a small, deterministic Titanic-like passenger CSV so the pipeline runs offline.

Only the standard library is used: the file has the columns of the Kaggle Titanic
`train.csv` (PassengerId, Survived, Pclass, Name, Sex, Age, SibSp, Parch, Ticket, Fare,
Cabin, Embarked), with missing ages, cabins and ports as in the real data.
"""

from __future__ import annotations

import csv
import random
from pathlib import Path

COLUMNS = (
    "PassengerId",
    "Survived",
    "Pclass",
    "Name",
    "Sex",
    "Age",
    "SibSp",
    "Parch",
    "Ticket",
    "Fare",
    "Cabin",
    "Embarked",
)
_SURNAMES = ("Andersson", "Brown", "Carter", "Dubois", "Evans", "Fischer", "Garcia", "Hansen")
_FIRST_NAMES = {"male": ("John", "William", "Karl", "Pierre"), "female": ("Mary", "Anna", "Elin")}
_TITLES = {"male": ("Mr", "Mr", "Master", "Dr"), "female": ("Mrs", "Miss", "Miss", "Ms")}
_TICKET_PREFIXES = ("", "", "", "PC", "A/5", "STON/O2.", "C.A.", "W./C.")
_DECKS = "ABCDEFG"


def write_csv(path: str | Path, rows: int = 300, seed: int = 7) -> Path:
    """Write `rows` synthetic passengers to `path` (same seed, same bytes) and return the path."""
    rng = random.Random(seed)
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        for passenger_id in range(1, rows + 1):
            writer.writerow(_passenger(rng, passenger_id))
    return target


def _passenger(rng: random.Random, passenger_id: int) -> list[object]:
    """One CSV row; survival odds depend on sex, class and age as on the real ship."""
    sex = rng.choice(("male", "female"))
    pclass = rng.choices((1, 2, 3), weights=(2, 2, 5))[0]
    age = round(rng.uniform(0.5, 75.0), 1)
    odds = (0.7 if sex == "female" else 0.2) + (3 - pclass) * 0.1 + (0.15 if age < 12 else 0.0)
    name = f"{rng.choice(_SURNAMES)}, {rng.choice(_TITLES[sex])}. {rng.choice(_FIRST_NAMES[sex])}"
    prefix = rng.choice(_TICKET_PREFIXES)
    number = rng.randint(1000, 399999)
    has_cabin = pclass == 1 or rng.random() < 0.1
    return [
        passenger_id,
        int(rng.random() < odds),
        pclass,
        name,
        sex,
        age if rng.random() > 0.2 else "",
        rng.choices((0, 1, 2, 3), weights=(6, 3, 1, 1))[0],
        rng.choices((0, 1, 2), weights=(7, 2, 1))[0],
        f"{prefix} {number}" if prefix else str(number),
        round(rng.uniform(7.0, 30.0) * (4 - pclass) ** 1.5, 4),
        f"{rng.choice(_DECKS)}{rng.randint(1, 120)}" if has_cabin else "",
        rng.choice("SSSSCQ") if rng.random() > 0.01 else "",
    ]
