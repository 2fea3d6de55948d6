import pytest

from archive_tui.bootstrap import context_for
from archive_tui.services.exchange.demo import fill_demo
from archive_tui.services.households.search import build_missing


@pytest.fixture
def township(engine, config):
    """A demo township of 400 households with its search index built."""
    fill_demo(context_for(engine, config), households=400, seed=21)
    build_missing(engine)
    return engine
