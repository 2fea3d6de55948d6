"""Pickers instead of typed codes or key-by-key cycling: a village by pinyin initials, the
collector's relation to the head by name."""

from __future__ import annotations

from sqlalchemy import select
from textual.widgets import Input, OptionList

from archive_tui.bootstrap import context_for
from archive_tui.services.registers import certificates as certs
from archive_tui.services.exchange.demo import fill_demo
from archive_tui.services.households.households import village_names
from archive_tui.services.households.search import initials
from archive_tui.tui.app import ArchiveApp
from archive_tui.tui.screens.fields_form import FieldsFormScreen
from archive_tui.tui.screens.picker import PickerScreen, matches
from models import CertificateEvent, Household
from tests.tui.test_app import text_of
from tests.tui.test_certificates_screen import press_on
from tests.tui.test_scans_screen import settle


def test_a_choice_matches_by_characters_or_pinyin_initials():
    assert matches("东里村", "东里") and matches("东里村", "dlc") and matches("东里村", "DL")
    assert matches("东里村", "") and not matches("东里村", "xz") and not matches("配偶（10）", "zn")


async def test_a_village_is_picked_by_its_initials(config, engine):
    fill_demo(context_for(engine, config), households=60, seed=8)
    villages = village_names(engine)
    wanted = villages[-1]
    app = ArchiveApp(config, engine, section="households")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("v")
        await pilot.pause()
        assert isinstance(app.screen, PickerScreen)
        assert app.screen.query_one(OptionList).option_count == len(villages) + 1  # and 全部村
        await pilot.press(*initials(wanted))
        await pilot.pause()
        shown = [str(option.prompt) for option in app.screen.query_one(OptionList).options]
        assert wanted in shown and len(shown) < len(villages) + 1
        await pilot.press("enter")
        await settle(app, pilot)
        assert app.screen.household_filter.village == wanted
        assert wanted in text_of(app.screen.query_one("#status"))


async def test_the_relation_is_chosen_from_a_list_not_typed_as_a_code(config, engine):
    fill_demo(context_for(engine, config), households=12, seed=6)
    [printed] = certs.list_certificates(engine, outstanding="new_not_issued", limit=1)
    with engine.begin() as connection:  # no basic farmland, no dispute: a relative may collect
        connection.execute(Household.__table__.update().where(Household.__table__.c.code == printed["cbfbm"]).values(
            **{column: False for column, _why in certs.HEAD_ONLY_REASONS}))
    member = "代领人"
    app = ArchiveApp(config, engine, section="certificates")
    async with app.run_test(size=(120, 40)) as pilot:
        await press_on(app, pilot, printed["serial"], "f")
        assert isinstance(app.screen, FieldsFormScreen)
        form = app.screen
        form.query_one("#field-collector", Input).value = member
        form.query_one("#field-collector_id", Input).value = "11010519491231002X"
        form.query_one("#field-proxy_letter", Input).value = "委托书 2026-01"
        form.query_one("#field-relation", Input).focus()
        await pilot.press("f4")
        await pilot.pause()
        assert isinstance(app.screen, PickerScreen)
        await pilot.press("p", "o")  # 配偶
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen is form and form.query_one("#field-relation", Input).value == "配偶"
        form.query_one("#field-date", Input).focus()
        await pilot.press("enter")
        await settle(app, pilot)
        assert not isinstance(app.screen, FieldsFormScreen), [text_of(w) for w in form.query(".field-error")]
    with engine.connect() as connection:
        details = connection.execute(select(CertificateEvent.details).where(CertificateEvent.kind == "issue")
                                     .order_by(CertificateEvent.id.desc())).scalars().first()
    assert '"relation": "10"' in details


async def test_a_place_and_a_holder_are_picked_from_those_already_known(config, engine):
    from archive_tui.services.registers import copies
    from archive_tui.services.households.households import list_households
    from archive_tui.tui.screens.copy_action import CopyActionScreen
    from tests.tui.test_custody_screens import open_copies_tab, row_of, submit

    fill_demo(context_for(engine, config), households=4, seed=2)
    first, second = [h["cbfbm"] for h in list_households(engine, limit=2)]
    copies.move(context_for(engine, config), [first], "乡政府/档案室/3/2", level="township")
    app = ArchiveApp(config, engine)
    async with app.run_test(size=(120, 40)) as pilot:
        table = await open_copies_tab(app, pilot, second)
        table.move_cursor(row=row_of(table, "乡镇级"))
        await pilot.press("g")
        await pilot.pause()
        form = app.screen
        assert isinstance(form, CopyActionScreen)
        form.query_one("#field-to", Input).focus()
        await pilot.press("f4")
        await pilot.pause()
        assert isinstance(app.screen, PickerScreen)
        await pilot.press("d", "a", "s")  # 档案室
        await pilot.press("enter")
        await pilot.pause()
        form.query_one("#field-holder", Input).focus()
        await pilot.press("f4")
        await pilot.pause()
        shown = [str(option.prompt) for option in app.screen.query_one(OptionList).options]
        assert config.settings.county.archive_name in shown
        await pilot.press("escape")  # changed one's mind: the holder stays as it is
        await pilot.pause()
        assert form.query_one("#field-to", Input).value == "乡政府/档案室/3/2"
        await submit(app, pilot)
    moved = next(c for c in copies.list_copies(engine, level="township") if c["cbfbm"] == second)
    assert moved["location"] == "乡政府/档案室/3/2"
