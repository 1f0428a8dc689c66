"""`driver_calls`: the driver constructions found statically in one script, for each shape a
Hamilton driver is built in, and the look-alikes that must be ignored."""

from __future__ import annotations

import textwrap
from typing import Any

from lineage_history.definitions.driver_calls import (
    SELF,
    DriverCall,
    ModuleRef,
    driver_calls,
    mentions_driver,
)


def calls(source: str) -> list[DriverCall]:
    text = textwrap.dedent(source)
    assert mentions_driver(text.encode()) or not driver_calls(text)
    return driver_calls(text)


def only(source: str) -> DriverCall:
    (call,) = calls(source)
    return call


def refs(*names: str | tuple[str, int]) -> tuple[ModuleRef, ...]:
    return tuple(ModuleRef(*n) if isinstance(n, tuple) else ModuleRef(n) for n in names)


def summary(call: DriverCall) -> dict[str, Any]:
    return {
        "modules": call.modules,
        "config": call.config,
        "literal": call.config_literal,
        "options": call.options,
    }


def test_builder_chain_in_any_order_with_config_and_options() -> None:
    call = only(
        """
        from hamilton import driver, lifecycle
        import features, loading

        dr = (
            driver.Builder()
            .with_config({"region": "eu", "sizes": (1, 2)})
            .with_adapters(lifecycle.PrintLn())
            .with_modules(loading)
            .enable_dynamic_execution(allow_experimental_mode=True)
            .with_modules(features)
            .allow_module_overrides()
            .build()
        )
        """
    )
    assert call.line == 6
    assert summary(call) == {
        "modules": refs("loading", "features"),
        "config": {"region": "eu", "sizes": [1, 2]},
        "literal": True,
        "options": ("allow_module_overrides", "enable_dynamic_execution", "with_adapters"),
    }


def test_driver_constructor_positional_config_then_modules() -> None:
    call = only(
        """
        from hamilton import base, driver
        import a, b

        config = {"k": 1}
        dr = driver.Driver(config, a, b, adapter=base.SimplePythonGraphAdapter(base.DictResult()))
        """
    )
    assert summary(call) == {
        "modules": refs("a", "b"),
        "config": {"k": 1},
        "literal": True,
        "options": ("adapter",),
    }


def test_aliases_of_the_driver_module_and_of_builder() -> None:
    aliased = only(
        """
        from hamilton import driver as d
        import m
        dr = d.Builder().with_modules(m).build()
        """
    )
    direct = only(
        """
        from hamilton.driver import Builder as B
        import m
        dr = B().with_modules(m).build()
        """
    )
    dotted = only(
        """
        import hamilton.driver
        import m
        dr = hamilton.driver.Driver({}, m)
        """
    )
    assert aliased.modules == direct.modules == dotted.modules == refs("m")


def test_async_drivers() -> None:
    found = calls(
        """
        from hamilton import async_driver
        from hamilton.experimental import h_async
        import flows

        async def main():
            dr = await async_driver.Builder().with_modules(flows).with_config({"x": 1}).build()
            old = h_async.AsyncDriver({}, flows, result_builder=None)
        """
    )
    assert [(c.line, c.modules, c.config) for c in found] == [
        (7, refs("flows"), {"x": 1}),
        (8, refs("flows"), {}),
    ]


def test_module_lists_assigned_first_and_import_module_literals() -> None:
    found = calls(
        """
        import importlib
        from hamilton import driver
        import a, b

        modules = [a, b]
        extra = importlib.import_module("pkg.extra")
        more = (extra,)
        dr1 = driver.Builder().with_modules(*modules).build()
        dr2 = driver.Driver({}, *modules, *more)
        dr3 = driver.Builder().with_modules(*(modules + [importlib.import_module(".rel")])).build()
        """
    )
    assert [c.modules for c in found] == [
        refs("a", "b"),
        refs("a", "b", "pkg.extra"),
        refs("a", "b", ("rel", 1)),
    ]


def test_modules_imported_by_name_from_a_literal_list() -> None:
    found = calls(
        """
        import importlib
        from hamilton import driver

        module_names = ["data_loaders", "business_logic"]
        modules = [importlib.import_module(m) for m in module_names]
        dr = driver.Driver({}, *modules)
        dynamic = driver.Driver({}, *[importlib.import_module(m) for m in find_names()])
        """
    )
    assert [c.modules for c in found] == [refs("data_loaders", "business_logic")]


def test_module_references_through_the_scripts_imports() -> None:
    call = only(
        """
        import a.b as x
        import c.d
        from . import m
        from ..up import n
        from pkg import mod
        import __main__ as me
        from hamilton import driver

        dr = driver.Driver({}, x, c.d, m, n, mod, me)
        """
    )
    assert call.modules == (
        ModuleRef("a.b"),
        ModuleRef("c.d"),
        ModuleRef("m", 1),
        ModuleRef("up.n", 2),
        ModuleRef("pkg.mod"),
        SELF,
    )


def test_literal_configs_dict_call_and_names_in_the_same_scope() -> None:
    found = calls(
        """
        from hamilton import driver
        import m

        BASE = dict(region="eu", n=3)

        def main():
            local = {"a": [1, {"b": None}]}
            one = driver.Builder().with_modules(m).with_config(local).build()
            two = driver.Builder().with_modules(m).with_config(BASE).build()
            three = driver.Driver(dict({"x": True}), m)
        """
    )
    assert [(c.config, c.config_literal) for c in found] == [
        ({"a": [1, {"b": None}]}, True),
        ({"n": 3, "region": "eu"}, True),
        ({"x": True}, True),
    ]


def test_names_bound_after_the_function_that_uses_them() -> None:
    call = only(
        """
        from hamilton import driver

        def main():
            return driver.Driver(CONFIG, flows)

        import flows
        CONFIG = {"a": 1}
        """
    )
    assert (call.modules, call.config, call.config_literal) == (refs("flows"), {"a": 1}, True)


def test_non_literal_configs_are_flagged() -> None:
    found = calls(
        """
        import os
        from hamilton import driver
        import m

        def run(config):
            return driver.Driver(config, m)

        env = {"region": os.environ["REGION"]}
        dr = driver.Builder().with_modules(m).with_config({"a": 1}).with_config(env).build()
        """
    )
    assert [(c.config, c.config_literal) for c in found] == [({}, False), ({"a": 1}, False)]


def test_the_literal_part_of_a_partly_literal_config_is_kept() -> None:
    """`execution_mode` still selects the `@config.when` variants the script builds."""
    found = calls(
        """
        from hamilton import driver
        import m

        client = object()
        dr = driver.Driver({"client": client, "execution_mode": "online"}, m)
        dr2 = driver.Driver(dict(mode="batch", client=client), m)
        """
    )
    assert [(c.config, c.config_literal) for c in found] == [
        ({"execution_mode": "online"}, False),
        ({"mode": "batch"}, False),
    ]


def test_builder_methods_called_as_statements_on_a_name() -> None:
    call = only(
        """
        from hamilton import driver
        import a, b

        builder = driver.Builder().with_modules(a)
        builder.with_modules(b)
        builder.with_config({"k": "v"})
        dr = builder.build()
        """
    )
    assert (call.modules, call.config) == (refs("a", "b"), {"k": "v"})


def test_the_script_itself_as_a_module() -> None:
    call = only(
        """
        import sys
        from hamilton import driver

        def node_a() -> int:
            return 1

        if __name__ == "__main__":
            dr = driver.Builder().with_modules(sys.modules[__name__]).build()
        """
    )
    assert call.modules == (SELF,)


def test_look_alikes_are_ignored() -> None:
    assert (
        calls(
            '''
        """Run with driver.Builder().with_modules(m).build() -- hamilton docs."""
        # dr = driver.Driver({}, m)
        from selenium import webdriver
        from hamilton import driver
        import m

        class Driver:
            def __init__(self, *args):
                pass

        class Builder:
            def build(self):
                return None

        text = "driver.Driver({}, m)"
        browser = webdriver.Chrome()
        mine = Driver({}, m)
        local = Builder().build()
        nothing = driver.Builder().with_modules(*find_modules()).build()
        unknown = driver.Driver({}, get_module())
        '''
        )
        == []
    )
    assert calls("from hamilton import driver\ndr = driver.Driver({}, m\n") == []  # syntax error
    assert not mentions_driver(b"import pandas\n\ndef f(): pass\n")


def test_round_trip_through_json() -> None:
    call = only(
        """
        from hamilton import driver
        from . import m
        dr = driver.Driver({"a": [1]}, m, allow_module_overrides=True)
        """
    )
    assert DriverCall.from_json(call.to_json()) == call
