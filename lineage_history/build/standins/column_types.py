"""The column type of a stand-in dataframe under `@extract_columns`, as Hamilton's own
plugins register it (`hamilton/plugins/*_extensions.py`: each registers its library's
`DATAFRAME_TYPE` and `COLUMN_TYPE` only when that library imports).

Keyed by the dataframe class's qualified name as code writes it, valued by the column
class's text as a real build records it (its shortest public path). A dataframe class the
table does not know gets the column type `unknown` (`dag.model.UNKNOWN_TYPE`): a stand-in
build never invents a class name. Runs only inside the forked build child.
"""

from __future__ import annotations

from typing import Any

from lineage_history.build.standins.objects import stand_in_class
from lineage_history.dag.model import UNKNOWN_TYPE

# dataframe class -> column class, from the plugins of apache-hamilton 1.90 (the source
# names first, then the public aliases code also writes: `ibis.Table` for `ir.Table`).
PLUGIN_COLUMN_TYPES: dict[str, str] = {
    "pandas.DataFrame": "pandas.Series",  # pandas_extensions
    "polars.DataFrame": "polars.Series",  # polars_extensions
    "polars.LazyFrame": "polars.Expr",  # polars_lazyframe_extensions
    "geopandas.GeoDataFrame": "geopandas.GeoSeries",  # geopandas_extensions
    "dask.dataframe.DataFrame": "dask.dataframe.Series",  # dask_extensions
    "pyspark.pandas.DataFrame": "pyspark.pandas.Series",  # pyspark_pandas_extensions
    "ibis.expr.types.Table": "ibis.Column",  # ibis_extensions
    "ibis.Table": "ibis.Column",
    "vaex.dataframe.DataFrame": "vaex.expression.Expression",  # vaex_extensions
    "vaex.DataFrame": "vaex.expression.Expression",
}

# Plugins that register a dataframe type without a column type (`spark`: None): nothing
# is known of their columns.
NO_COLUMN_TYPE = ("pyspark.sql.DataFrame",)

_UNKNOWN: list[type] = []


def unknown_column() -> type:
    """The stand-in type of a column nothing knows: recorded as `unknown`."""
    if not _UNKNOWN:
        _UNKNOWN.append(stand_in_class("builtins", UNKNOWN_TYPE))
    return _UNKNOWN[0]


def column_type_text(dataframe_type: Any) -> str | None:
    """The real column type's text for a dataframe class (`geopandas.GeoDataFrame` ->
    `geopandas.GeoSeries`), or None when no plugin says."""
    origin = getattr(dataframe_type, "__origin__", None) or dataframe_type
    name = f"{getattr(origin, '__module__', '')}.{getattr(origin, '__qualname__', '')}"
    return PLUGIN_COLUMN_TYPES.get(name)


def column_stand_in(dataframe_type: Any) -> type:
    """The column type of a stand-in dataframe: the type its library's plugin registers,
    named as a real build names it, else `unknown`."""
    text = column_type_text(dataframe_type)
    if text is None:
        return unknown_column()
    module, _, name = text.rpartition(".")
    return stand_in_class(module, name)
