"""帮助 made from the bindings: every key a screen binds with a description is in it, it names no
key that nothing binds, and each line fits its column (two columns in 80 cells)."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

from rich.cells import cell_len
from rich.text import Text
from textual.binding import Binding
from textual.dom import DOMNode
from textual.widgets import Static

from archive_tui.tui import screens, widgets
from archive_tui.tui.app import ArchiveApp
from archive_tui.tui.screens.help import (
    COLUMN_CELLS, DIALOGS, GLOBAL, KEY_CELLS, KEY_NAMES, HelpScreen, help_columns, help_sources, key_name,
)
from tests.tui.test_app import text_of

NAMES_TO_KEYS = {name: key for key, name in KEY_NAMES.items()}


def bindings_of(owner: type) -> list[Binding]:
    return list(Binding.make_bindings(owner.__dict__.get("BINDINGS", [])))


def our_classes() -> set[type]:
    """Every screen and widget class of the app that binds a key with a description."""
    found: set[type] = set()
    for package in (screens, widgets):
        for module_info in pkgutil.iter_modules(package.__path__):
            module = importlib.import_module(f"{package.__name__}.{module_info.name}")
            for _name, owner in inspect.getmembers(module, inspect.isclass):
                if (issubclass(owner, DOMNode) and owner.__module__ == module.__name__
                        and any(binding.description for binding in bindings_of(owner))):
                    found.add(owner)
    return found


def shown_lines(app) -> list[str]:
    left, right = help_columns(app)
    return [Text.from_markup(line).plain for line in (*left, *right)]


def sections_shown(app) -> dict[str, str]:
    """The help's text under each section title, as the archivist reads it."""
    sections, title = {}, None
    for line in shown_lines(app):
        if not line.startswith(" "):
            title = line
            sections[title] = ""
        else:
            sections[title] += line + "\n"
    return sections


def test_every_screen_with_keys_is_in_the_help_or_is_a_dialog():
    app = ArchiveApp.__new__(ArchiveApp)  # its classes only: nothing is run
    listed = {owner for _title, sources in help_sources(app) for owner, _texts, _keep in sources}
    missing = {owner.__name__ for owner in our_classes()} - {owner.__name__ for owner in listed} - DIALOGS
    assert not missing, f"screens or widgets whose keys the help does not list: {missing}"


def test_every_binding_with_a_description_is_in_the_help():
    app = ArchiveApp.__new__(ArchiveApp)
    shown = sections_shown(app)
    for title, sources in help_sources(app):
        for owner, texts, keep in sources:
            for binding in bindings_of(owner):
                if keep is not None and not keep(binding.action):
                    continue
                if texts is None:  # ours: the longer text kept beside the binding, else its description
                    said = getattr(owner, "KEY_HELP", {}).get(binding.action) or binding.description
                else:
                    said = texts.get(binding.action)
                if not said:
                    continue
                name = key_name(binding.key)
                where = shown.get(title, "") + shown[GLOBAL]  # a key bound alike in many sections: under 全局
                assert any(name in line[2:2 + KEY_CELLS].split() and said in line[2 + KEY_CELLS:]
                           for line in where.splitlines()), (title, owner.__name__, binding.key, said)


def test_the_help_lists_no_key_that_nothing_binds():
    app = ArchiveApp.__new__(ArchiveApp)
    bound = {binding.key for _title, sources in help_sources(app) for owner, _texts, _keep in sources
             for binding in bindings_of(owner)}
    for line in shown_lines(app):
        if not line.startswith("  "):
            continue
        keys = line[2:2 + KEY_CELLS].split()
        assert keys, line
        for name in keys:
            key = NAMES_TO_KEYS.get(name, name.lower() if name[:1] == "F" and name[1:].isdigit() else name)
            assert key in bound, (name, line)


def test_every_line_fits_its_column():
    app = ArchiveApp.__new__(ArchiveApp)
    for line in shown_lines(app):
        assert cell_len(line) <= COLUMN_CELLS - 1, line  # the column's padding takes one cell


async def test_the_help_screen_shows_the_generated_keys(config, engine):
    app = ArchiveApp(config, engine)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        shown = " ".join(text_of(app.screen.query_one(f"#help-{side}", Static)) for side in ("left", "right"))
        assert "1 2 3 4  总览  户卷  扫描  证书" in shown and "w s      问题页：豁免  标记重扫" in shown
