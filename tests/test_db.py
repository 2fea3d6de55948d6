"""Database: created and upgraded by migrations that match the models; newer ones refused."""

import sqlite3

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text

from archive_tui.db import SCHEMA_HEAD, current_revision, head_revision, make_engine, open_database, upgrade
from archive_tui.core.errors import ArchiveError
from models import metadata

pytestmark = pytest.mark.real_migrations


def filled_at(tmp_path, revision: str, *statements: str) -> str:
    """A SQLite database migrated to ``revision`` with ``statements`` run in it; its URL (the
    engine closed, so the next open upgrades it as the app would)."""
    from alembic import command

    from archive_tui.db import _alembic_config

    url = f"sqlite:///{tmp_path / f'v{revision}.db'}"
    engine = make_engine(url)
    command.upgrade(_alembic_config(engine), revision)
    with engine.begin() as connection:
        for statement in statements:
            connection.execute(text(statement))
    engine.dispose()
    return url


def test_migrations_build_exactly_the_models(tmp_path):
    engine = open_database(f"sqlite:///{tmp_path / 'a.db'}")
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), metadata)
    assert differences == []
    assert current_revision(engine) == head_revision()


def test_sqlite_pragmas(engine):
    with engine.connect() as connection:
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA busy_timeout")).scalar() >= 5000


def test_foreign_keys_and_uniqueness_are_enforced_by_the_database(engine):
    from sqlalchemy.exc import IntegrityError

    with engine.begin() as connection:
        connection.execute(text("INSERT INTO issuer (code, name, village_code, village_name, group_code, head_name,"
                                " head_id_type, head_id_number, phone, address, postcode, surveyor, survey_notes)"
                                " VALUES ('13012310100101', '', '', '', '', '', '', '', '', '', '', '', '')"))
    for statement in (
        "INSERT INTO issuer (code, name, village_code, village_name, group_code, head_name, head_id_type,"
        " head_id_number, phone, address, postcode, surveyor, survey_notes)"
        " VALUES ('13012310100101', '', '', '', '', '', '', '', '', '', '', '', '')",
        "INSERT INTO member (household_id, position, name, sex, id_type, id_number, relation, remark_code,"
        " is_co_owner, remark) VALUES (999, 0, '', '', '', '', '', '', '', '')",
    ):
        with pytest.raises(IntegrityError), engine.begin() as connection:
            connection.execute(text(statement))


def test_an_older_database_is_upgraded_without_loss(tmp_path):
    """Every revision before head, filled with data, opens at head with its data intact."""
    from alembic import command
    from alembic.script import ScriptDirectory

    from archive_tui.db import _alembic_config

    path = tmp_path / "old.db"
    engine = make_engine(f"sqlite:///{path}")
    script = ScriptDirectory.from_config(_alembic_config(engine))
    oldest = list(script.walk_revisions())[-1].revision
    command.upgrade(_alembic_config(engine), oldest)
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO audit_event (recorded_at, operator, action, entity, entity_key,"
                                " before, after, prev_hash, hash) VALUES ('2020-01-01 00:00:00', '张三', 'x',"
                                " '', 'k', '{}', '{}', '', 'h')"))
    engine.dispose()
    engine = open_database(f"sqlite:///{path}")
    assert current_revision(engine) == head_revision()
    with engine.connect() as connection:
        assert connection.execute(text("SELECT operator FROM audit_event")).scalar() == "张三"


def test_a_newer_database_is_refused_and_left_alone(tmp_path):
    path = tmp_path / "newer.db"
    open_database(f"sqlite:///{path}").dispose()
    with sqlite3.connect(path) as connection:
        connection.execute("UPDATE alembic_version SET version_num = '9999_future'")
    before = path.read_bytes()
    with pytest.raises(ArchiveError, match="更新版本的 archive-tui"):
        upgrade(make_engine(f"sqlite:///{path}"))
    with sqlite3.connect(path) as connection:
        assert connection.execute("SELECT version_num FROM alembic_version").fetchone()[0] == "9999_future"
    assert path.read_bytes() == before


def test_a_foreign_database_is_refused(tmp_path):
    path = tmp_path / "foreign.db"
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE something (x)")
    with pytest.raises(ArchiveError, match="不是 archive-tui 的数据库"):
        upgrade(make_engine(f"sqlite:///{path}"))


def test_destruction_batches_survive_the_0003_upgrade(tmp_path):
    url = filled_at(tmp_path, "0002",
                    "INSERT INTO destruction_batch (number, approval_doc, approver, appraisal_head, supervisors,"
                    " method, place, status, created_at) VALUES ('XH-1', '文1', '李四', '王五', '赵六、钱七', '粉碎',"
                    " '乡政府', 'open', '2026-01-01 00:00:00')")
    with open_database(url).connect() as connection:
        row = connection.execute(text("SELECT number, supervisors, approved_on, operator FROM destruction_batch")).one()
    assert tuple(row) == ("XH-1", "赵六、钱七", None, "")


def test_edits_and_certificate_events_survive_the_0006_upgrade(tmp_path):
    """Household edits recorded before 0006 (only in the audit log) become the archive's own
    values, and the 补发/换发/注销 an import brought are marked as the import's."""
    from alembic import command

    from archive_tui.db import _alembic_config

    path = tmp_path / "v5.db"
    engine = make_engine(f"sqlite:///{path}")
    command.upgrade(_alembic_config(engine), "0005")
    with engine.begin() as connection:
        for statement in (
            "INSERT INTO issuer (id, code, name, village_code, village_name, group_code, head_name, head_id_type,"
            " head_id_number, phone, address, postcode, surveyor, survey_notes) VALUES (1, '13012310100101', '',"
            " '', '', '', '', '', '', '', '', '', '', '')",
            "INSERT INTO household (id, code, issuer_id, contractor_type, name, id_type, id_number, address, postcode,"
            " phone, surveyor, survey_notes, publicity_notes, publicity_recorder, publicity_reviewer,"
            " has_basic_farmland, has_high_standard_farmland, has_dispute) VALUES (1, '130123101001010001', 1, '1',"
            " '张改正', '1', '', '', '', '', '', '', '', '', '', 0, 0, 0)",
            "INSERT INTO certificate (id, serial, code, household_id, generation, authority, collected,"
            " collector_name, collector_id_type, collector_id_number, status) VALUES"
            " (1, 'S1', '130123101001010001J', 1, 'new', '', '', '', '', '', 'cancelled'),"
            " (2, 'S2', '130123101001010001J', 1, 'new', '', '', '', '', '', 'lost')",
            "INSERT INTO certificate_event (certificate_id, kind, reason, person_name, person_id_type,"
            " person_id_number, details, operator, recorded_at) VALUES (1, 'cancel', '迁出', '', '', '', '{}', '甲',"
            " '2020-01-01 00:00:00'), (2, 'lost', '', '', '', '', '{}', '乙', '2020-01-02 00:00:00')",
            "INSERT INTO audit_event (recorded_at, operator, action, entity, entity_key, before, after, prev_hash,"
            " hash) VALUES ('2020-01-01 00:00:00', '甲', 'edit', 'household', '130123101001010001',"
            " '{\"name\": \"张三\"}', '{\"name\": \"张二\"}', '', 'a'), ('2020-01-03 00:00:00', '乙', 'edit',"
            " 'household', '130123101001010001', '{\"name\": \"张二\"}', '{\"name\": \"张改正\"}', 'a', 'b'),"
            " ('2020-01-02 00:00:00', '乙', 'certificate.lost', 'certificate', 'S2', '{}', '{}', 'b', 'c')",
        ):
            connection.execute(text(statement))
    engine.dispose()
    engine = open_database(f"sqlite:///{path}")
    with engine.connect() as connection:
        edits = connection.execute(text("SELECT entity, entity_key, field, value, operator FROM local_edit")).all()
        origins = connection.execute(text("SELECT kind, origin FROM certificate_event ORDER BY id")).all()
    assert [tuple(row) for row in edits] == [("household", "130123101001010001", "name", "张改正", "乙")]
    assert [tuple(row) for row in origins] == [("cancel", "import"), ("lost", "archive")]


def test_scanned_pages_survive_the_0008_upgrade_unmeasured(tmp_path):
    """Pages filed before the pixel checks keep every value and wait for ``scans qc``."""
    url = filled_at(tmp_path, "0007",
                    "INSERT INTO scan_page (store_path, source_name, sha256, size, format, width, height, dpi,"
                    " colour_mode, page_index, seq, status, reason, created_at) VALUES ('store/东庄村/a-0001.jpg',"
                    " '扫描 1.jpg', 'ab', 5, 'JPEG', 10, 20, 300, 'grey', 0, 1, 'unassigned', '',"
                    " '2026-01-01 00:00:00')")
    with open_database(url).connect() as connection:
        row = connection.execute(text("SELECT store_path, source_name, dpi, status, measured_at, phash,"
                                      " rescan_reason, replaced_by_id FROM scan_page")).one()
        reviews = connection.execute(text("SELECT count(*) FROM page_review")).scalar()
    assert tuple(row) == ("store/东庄村/a-0001.jpg", "扫描 1.jpg", 300, "unassigned", None, "", "", None)
    assert reviews == 0


def test_a_database_with_sampled_pages_upgrades_through_0009(tmp_path):
    """0009 adds columns in place: recreating scan_page would be refused while page_review refers to it."""
    url = filled_at(tmp_path, "0008",
                    "INSERT INTO scan_page (id, store_path, source_name, sha256, size, format, width, height, dpi,"
                    " colour_mode, page_index, seq, status, reason, created_at, phash, measure_note, rescan_reason)"
                    " VALUES (1, 's/a.jpg', 'a.jpg', 'ab', 5, 'JPEG', 10, 20, 300, 'grey', 0, 1, 'unassigned', '',"
                    " '2026-01-01 00:00:00', '', '', '')",
                    "INSERT INTO page_review (scan_page_id, sample_no, seed, drawn_at, drawn_by, verdict, problem,"
                    " reviewer) VALUES (1, '抽检2026-001', 7, '2026-01-02 00:00:00', '甲', 'ok', '', '乙')")
    with open_database(url).connect() as connection:
        page = connection.execute(text("SELECT store_path, ocr_text, ocr_at, orientation FROM scan_page")).one()
        review = connection.execute(text("SELECT sample_no, verdict FROM page_review")).one()
    assert tuple(page) == ("s/a.jpg", "", None, None) and tuple(review) == ("抽检2026-001", "ok")


def test_transfers_and_uses_survive_the_0012_upgrade(tmp_path):
    """0012 makes transfer_item.copy_id and use_record.archive_file_id optional (a row may be about
    a 综合档案 item instead): the tables are rebuilt on SQLite and every row keeps its values."""
    url = filled_at(tmp_path, "0011",
                    "INSERT INTO issuer (id, code, name, village_code, village_name, group_code, head_name,"
                    " head_id_type, head_id_number, phone, address, postcode, surveyor, survey_notes) VALUES (1,"
                    " '13012310100101', '一组', '130123101001', '东庄村', '01', '', '', '', '', '', '', '', '')",
                    "INSERT INTO household (id, code, issuer_id, contractor_type, name, id_type, id_number, address,"
                    " postcode, phone, surveyor, survey_notes, publicity_notes, publicity_recorder,"
                    " publicity_reviewer, has_basic_farmland, has_high_standard_farmland, has_dispute)"
                    " VALUES (1, '130123101001010001', 1, '1', '张三', '', '', '', '', '', '', '', '', '', '',"
                    " 0, 0, 0)",
                    "INSERT INTO archive_file (id, household_id, archive_code, volume_no, title, year, retention,"
                    " page_count, status, created_at) VALUES (1, 1, 'Z001-NJ·2018-Y-00001', 1, '张三户', 2018,"
                    " '永久', 0, 'filed', '2026-01-01 00:00:00')",
                    "INSERT INTO file_copy (id, archive_file_id, level, holder, keeper, building, room, cabinet,"
                    " shelf, box, status, present_docs) VALUES (1, 1, 'township', '城关镇', '', '', '', '', '', '',"
                    " 'in_transit', '')",
                    "INSERT INTO transfer (id, batch_no, to_name, note, status, level, handed_over_by, received_by,"
                    " supervised_by, document_copies, operator, created_at, sent_by, closed_by) VALUES (1,"
                    " '130123101-YJ2026-001', '县档案馆', '', 'sent', 'township', '', '', '', 3, '甲',"
                    " '2026-01-01 00:00:00', '甲', '')",
                    "INSERT INTO transfer_item (transfer_id, copy_id, result, override_reason, note)"
                    " VALUES (1, 1, '', '理由', '')",
                    "INSERT INTO use_record (number, archive_file_id, kind, person, id_number, unit, purpose,"
                    " approved_by, pages, used_on, operator, created_at) VALUES ('利用2026-001', 1, 'copy', '王五',"
                    " '', '县自然资源局', '核对', '乡长', 3, '2026-01-05', '甲', '2026-01-05 00:00:00')")
    with open_database(url).connect() as connection:
        item = connection.execute(text("SELECT copy_id, record_item_id, override_reason FROM transfer_item")).one()
        use = connection.execute(text("SELECT number, archive_file_id, record_item_id, pages FROM use_record")).one()
    assert tuple(item) == (1, None, "理由") and tuple(use) == ("利用2026-001", 1, None, 3)


def test_a_closed_destruction_batch_and_its_audit_survive_the_0015_upgrade(tmp_path):
    """0015 adds kept forms: a batch closed before it keeps its rows and audit, nothing is kept
    for it yet (its first print keeps it), and a form can be kept and bound to an event."""
    url = filled_at(tmp_path, "0014",
                    "INSERT INTO destruction_batch (number, approval_doc, approver, appraisal_head, supervisors,"
                    " method, place, status, operator, created_at, closed_at) VALUES ('XH2026-001', '文1', '李四',"
                    " '王五', '赵六、钱七', '粉碎', '乡政府', 'closed', '甲', '2026-01-01 00:00:00',"
                    " '2026-01-02 00:00:00')",
                    "INSERT INTO audit_event (recorded_at, operator, action, entity, entity_key, before, after,"
                    " prev_hash, hash) VALUES ('2026-01-02 00:00:00', '甲', 'destruction.close', 'destruction_batch',"
                    " 'XH2026-001', '{}', '{\"destroyed\": 3}', '', 'h')")
    engine = open_database(url)
    with engine.begin() as connection:
        batch = connection.execute(text("SELECT number, status, supervisors FROM destruction_batch")).one()
        event = connection.execute(text("SELECT id, action, after FROM audit_event")).one()
        assert connection.execute(text("SELECT count(*) FROM kept_form")).scalar_one() == 0
        connection.execute(text("INSERT INTO kept_form (kind, entity_key, stage, suffix, variant, path, sha256,"
                                " size, audit_event_id, operator, created_at) VALUES ('destruction', 'XH2026-001',"
                                " 'first-print', '.pdf', '', 'store/已签/销毁清册/XH2026-001/01.pdf', 'ab', 1, :id,"
                                " '甲', '2026-01-03 00:00:00')"), {"id": event.id})
    engine.dispose()
    assert tuple(batch) == ("XH2026-001", "closed", "赵六、钱七")
    assert tuple(event)[1:] == ("destruction.close", '{"destroyed": 3}')
    assert current_revision(open_database(url)) == SCHEMA_HEAD


@pytest.mark.parametrize("cache_mib", [64, 8])
def test_the_page_cache_per_connection_is_as_asked(tmp_path, cache_mib):
    """The terminal keeps 64 MiB per connection for imports; a browser tab's process asks for
    8 MiB (ten tabs at 64 MiB took 2 GiB at 100,000 households: bench/serve_bench.py)."""
    engine = open_database(f"sqlite:///{(tmp_path / 'a.db').as_posix()}", cache_mib=cache_mib)
    with engine.connect() as connection:
        assert connection.execute(text("PRAGMA cache_size")).scalar_one() == -1024 * cache_mib
    engine.dispose()


def test_schema_head_names_the_newest_migration():
    assert SCHEMA_HEAD == head_revision(), "a new migration: set archive_tui.db.SCHEMA_HEAD to its revision"


def test_opening_an_up_to_date_archive_does_not_load_the_migrations(tmp_path):
    """Every start of the app, and every browser tab, opens the archive: when it is already at
    the newest schema one query says so, and alembic (0.4 s to import) is not loaded."""
    import subprocess
    import sys

    url = f"sqlite:///{(tmp_path / '档案.db').as_posix()}"
    open_database(url).dispose()
    probe = ("import sys; from archive_tui.db import open_database; "
             f"open_database({url!r}).dispose(); print('alembic' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, encoding="utf-8")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"


def test_an_archive_one_migration_behind_is_still_upgraded(tmp_path):
    from alembic import command

    from archive_tui.db import _alembic_config

    engine = make_engine(f"sqlite:///{(tmp_path / 'a.db').as_posix()}")
    command.upgrade(_alembic_config(engine), "0013")
    engine.dispose()
    engine = open_database(f"sqlite:///{(tmp_path / 'a.db').as_posix()}")
    assert current_revision(engine) == SCHEMA_HEAD
    engine.dispose()
