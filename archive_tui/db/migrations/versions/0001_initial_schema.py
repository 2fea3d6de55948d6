"""initial schema

Revision ID: 0001
Revises: 
Create Date: 2026-11-23
"""

from alembic import op
import sqlalchemy as sa


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table('audit_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('operator', sa.String(), nullable=False),
    sa.Column('action', sa.String(), nullable=False),
    sa.Column('entity', sa.String(), nullable=False),
    sa.Column('entity_key', sa.String(), nullable=False),
    sa.Column('before', sa.String(), nullable=False),
    sa.Column('after', sa.String(), nullable=False),
    sa.Column('prev_hash', sa.String(), nullable=False),
    sa.Column('hash', sa.String(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_event'))
    )
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_event_entity_key'), ['entity_key'], unique=False)

    op.create_table('destruction_batch',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(), nullable=False),
    sa.Column('approval_doc', sa.String(), nullable=False),
    sa.Column('approver', sa.String(), nullable=False),
    sa.Column('appraisal_head', sa.String(), nullable=False),
    sa.Column('supervisors', sa.String(), nullable=False),
    sa.Column('method', sa.String(), nullable=False),
    sa.Column('place', sa.String(), nullable=False),
    sa.Column('destroyed_on', sa.Date(), nullable=True),
    sa.Column('status', sa.String(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_destruction_batch')),
    sa.UniqueConstraint('number', name=op.f('uq_destruction_batch_number'))
    )
    op.create_table('issuer',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=14), nullable=False),
    sa.Column('name', sa.String(), nullable=False),
    sa.Column('village_code', sa.String(length=12), nullable=False),
    sa.Column('village_name', sa.String(), nullable=False),
    sa.Column('group_code', sa.String(length=2), nullable=False),
    sa.Column('head_name', sa.String(), nullable=False),
    sa.Column('head_id_type', sa.String(), nullable=False),
    sa.Column('head_id_number', sa.String(), nullable=False),
    sa.Column('phone', sa.String(), nullable=False),
    sa.Column('address', sa.String(), nullable=False),
    sa.Column('postcode', sa.String(), nullable=False),
    sa.Column('surveyor', sa.String(), nullable=False),
    sa.Column('survey_date', sa.Date(), nullable=True),
    sa.Column('survey_notes', sa.String(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_issuer')),
    sa.UniqueConstraint('code', name=op.f('uq_issuer_code'))
    )
    with op.batch_alter_table('issuer', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_issuer_village_code'), ['village_code'], unique=False)

    op.create_table('transfer',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('batch_no', sa.String(), nullable=False),
    sa.Column('to_name', sa.String(), nullable=False),
    sa.Column('note', sa.String(), nullable=False),
    sa.Column('status', sa.String(), nullable=False),
    sa.Column('operator', sa.String(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_transfer')),
    sa.UniqueConstraint('batch_no', name=op.f('uq_transfer_batch_no'))
    )
    op.create_table('household',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=18), nullable=False),
    sa.Column('issuer_id', sa.Integer(), nullable=False),
    sa.Column('contractor_type', sa.String(), nullable=False),
    sa.Column('name', sa.String(), nullable=False),
    sa.Column('id_type', sa.String(), nullable=False),
    sa.Column('id_number', sa.String(), nullable=False),
    sa.Column('address', sa.String(), nullable=False),
    sa.Column('postcode', sa.String(), nullable=False),
    sa.Column('phone', sa.String(), nullable=False),
    sa.Column('member_count', sa.Integer(), nullable=True),
    sa.Column('survey_date', sa.Date(), nullable=True),
    sa.Column('surveyor', sa.String(), nullable=False),
    sa.Column('survey_notes', sa.String(), nullable=False),
    sa.Column('publicity_notes', sa.String(), nullable=False),
    sa.Column('publicity_recorder', sa.String(), nullable=False),
    sa.Column('publicity_review_date', sa.Date(), nullable=True),
    sa.Column('publicity_reviewer', sa.String(), nullable=False),
    sa.Column('has_basic_farmland', sa.Boolean(), nullable=False),
    sa.Column('has_high_standard_farmland', sa.Boolean(), nullable=False),
    sa.Column('has_dispute', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['issuer_id'], ['issuer.id'], name=op.f('fk_household_issuer_id_issuer')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_household')),
    sa.UniqueConstraint('code', name=op.f('uq_household_code'))
    )
    with op.batch_alter_table('household', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_household_issuer_id'), ['issuer_id'], unique=False)

    op.create_table('archive_file',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('household_id', sa.Integer(), nullable=False),
    sa.Column('archive_code', sa.String(), nullable=False),
    sa.Column('volume_no', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('retention', sa.String(), nullable=False),
    sa.Column('page_count', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['household_id'], ['household.id'], name=op.f('fk_archive_file_household_id_household')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_archive_file')),
    sa.UniqueConstraint('archive_code', name=op.f('uq_archive_file_archive_code')),
    sa.UniqueConstraint('household_id', name=op.f('uq_archive_file_household_id'))
    )
    with op.batch_alter_table('archive_file', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_archive_file_household_id'), ['household_id'], unique=False)

    op.create_table('attachment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('household_id', sa.Integer(), nullable=False),
    sa.Column('certificate_code', sa.String(), nullable=False),
    sa.Column('number', sa.String(), nullable=False),
    sa.Column('name', sa.String(), nullable=False),
    sa.Column('dated', sa.Date(), nullable=True),
    sa.Column('path', sa.String(), nullable=False),
    sa.ForeignKeyConstraint(['household_id'], ['household.id'], name=op.f('fk_attachment_household_id_household'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_attachment')),
    sa.UniqueConstraint('certificate_code', 'number', name=op.f('uq_attachment_certificate_code_number'))
    )
    with op.batch_alter_table('attachment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_attachment_household_id'), ['household_id'], unique=False)

    op.create_table('certificate',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('serial', sa.String(), nullable=False),
    sa.Column('code', sa.String(), nullable=False),
    sa.Column('household_id', sa.Integer(), nullable=False),
    sa.Column('generation', sa.String(), nullable=False),
    sa.Column('authority', sa.String(), nullable=False),
    sa.Column('issued_on', sa.Date(), nullable=True),
    sa.Column('collected', sa.String(), nullable=False),
    sa.Column('collected_on', sa.Date(), nullable=True),
    sa.Column('collector_name', sa.String(), nullable=False),
    sa.Column('collector_id_type', sa.String(), nullable=False),
    sa.Column('collector_id_number', sa.String(), nullable=False),
    sa.Column('status', sa.String(), nullable=False),
    sa.ForeignKeyConstraint(['household_id'], ['household.id'], name=op.f('fk_certificate_household_id_household')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_certificate')),
    sa.UniqueConstraint('serial', name=op.f('uq_certificate_serial'))
    )
    with op.batch_alter_table('certificate', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_certificate_code'), ['code'], unique=False)
        batch_op.create_index(batch_op.f('ix_certificate_household_id'), ['household_id'], unique=False)

    op.create_table('contract',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=19), nullable=False),
    sa.Column('household_id', sa.Integer(), nullable=False),
    sa.Column('original_code', sa.String(), nullable=False),
    sa.Column('issuer_code', sa.String(), nullable=False),
    sa.Column('method', sa.String(), nullable=False),
    sa.Column('term_start', sa.Date(), nullable=True),
    sa.Column('term_end', sa.Date(), nullable=True),
    sa.Column('total_area', sa.Float(), nullable=True),
    sa.Column('parcel_count', sa.Integer(), nullable=True),
    sa.Column('signed_date', sa.Date(), nullable=True),
    sa.Column('total_area_mu', sa.Float(), nullable=True),
    sa.Column('original_total_area', sa.Float(), nullable=True),
    sa.Column('original_total_area_mu', sa.Float(), nullable=True),
    sa.ForeignKeyConstraint(['household_id'], ['household.id'], name=op.f('fk_contract_household_id_household'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contract')),
    sa.UniqueConstraint('code', name=op.f('uq_contract_code'))
    )
    with op.batch_alter_table('contract', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contract_household_id'), ['household_id'], unique=False)

    op.create_table('finding',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('rule', sa.String(), nullable=False),
    sa.Column('severity', sa.String(), nullable=False),
    sa.Column('household_id', sa.Integer(), nullable=True),
    sa.Column('subject', sa.String(), nullable=False),
    sa.Column('message', sa.String(), nullable=False),
    sa.Column('status', sa.String(), nullable=False),
    sa.Column('source', sa.String(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('waived_reason', sa.String(), nullable=False),
    sa.Column('waived_by', sa.String(), nullable=False),
    sa.Column('waived_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['household_id'], ['household.id'], name=op.f('fk_finding_household_id_household')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_finding'))
    )
    with op.batch_alter_table('finding', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_finding_household_id'), ['household_id'], unique=False)
        batch_op.create_index('ix_finding_household_rule_subject', ['household_id', 'rule', 'subject'], unique=False)
        batch_op.create_index(batch_op.f('ix_finding_rule'), ['rule'], unique=False)

    op.create_table('member',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('household_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(), nullable=False),
    sa.Column('sex', sa.String(), nullable=False),
    sa.Column('id_type', sa.String(), nullable=False),
    sa.Column('id_number', sa.String(), nullable=False),
    sa.Column('relation', sa.String(), nullable=False),
    sa.Column('remark_code', sa.String(), nullable=False),
    sa.Column('is_co_owner', sa.String(), nullable=False),
    sa.Column('remark', sa.String(), nullable=False),
    sa.ForeignKeyConstraint(['household_id'], ['household.id'], name=op.f('fk_member_household_id_household'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_member'))
    )
    with op.batch_alter_table('member', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_member_household_id'), ['household_id'], unique=False)

    op.create_table('parcel',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=19), nullable=False),
    sa.Column('household_id', sa.Integer(), nullable=False),
    sa.Column('issuer_code', sa.String(), nullable=False),
    sa.Column('acquisition', sa.String(), nullable=False),
    sa.Column('contract_area', sa.Float(), nullable=True),
    sa.Column('contract_code', sa.String(), nullable=False),
    sa.Column('transfer_contract_code', sa.String(), nullable=False),
    sa.Column('certificate_code', sa.String(), nullable=False),
    sa.Column('original_area', sa.Float(), nullable=True),
    sa.Column('contract_area_mu', sa.Float(), nullable=True),
    sa.Column('original_area_mu', sa.Float(), nullable=True),
    sa.Column('shares_only', sa.String(), nullable=False),
    sa.Column('name', sa.String(), nullable=False),
    sa.Column('category', sa.String(), nullable=False),
    sa.Column('east', sa.String(), nullable=False),
    sa.Column('south', sa.String(), nullable=False),
    sa.Column('west', sa.String(), nullable=False),
    sa.Column('north', sa.String(), nullable=False),
    sa.Column('is_basic_farmland', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['household_id'], ['household.id'], name=op.f('fk_parcel_household_id_household'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_parcel')),
    sa.UniqueConstraint('code', name=op.f('uq_parcel_code'))
    )
    with op.batch_alter_table('parcel', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_parcel_household_id'), ['household_id'], unique=False)

    op.create_table('register_entry',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=19), nullable=False),
    sa.Column('household_id', sa.Integer(), nullable=False),
    sa.Column('issuer_code', sa.String(), nullable=False),
    sa.Column('method', sa.String(), nullable=False),
    sa.Column('term_text', sa.String(), nullable=False),
    sa.Column('term_start', sa.Date(), nullable=True),
    sa.Column('term_end', sa.Date(), nullable=True),
    sa.Column('parcel_map', sa.String(), nullable=False),
    sa.Column('old_certificate_serial', sa.String(), nullable=False),
    sa.Column('certificate_serial', sa.String(), nullable=False),
    sa.Column('attachment', sa.String(), nullable=False),
    sa.Column('registrar', sa.String(), nullable=False),
    sa.Column('registered_on', sa.Date(), nullable=True),
    sa.ForeignKeyConstraint(['household_id'], ['household.id'], name=op.f('fk_register_entry_household_id_household'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_register_entry')),
    sa.UniqueConstraint('code', name=op.f('uq_register_entry_code'))
    )
    with op.batch_alter_table('register_entry', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_register_entry_household_id'), ['household_id'], unique=False)

    op.create_table('certificate_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('certificate_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(), nullable=False),
    sa.Column('happened_on', sa.Date(), nullable=True),
    sa.Column('collected_on', sa.Date(), nullable=True),
    sa.Column('reason', sa.String(), nullable=False),
    sa.Column('person_name', sa.String(), nullable=False),
    sa.Column('person_id_type', sa.String(), nullable=False),
    sa.Column('person_id_number', sa.String(), nullable=False),
    sa.Column('details', sa.String(), nullable=False),
    sa.Column('operator', sa.String(), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['certificate_id'], ['certificate.id'], name=op.f('fk_certificate_event_certificate_id_certificate')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_certificate_event'))
    )
    with op.batch_alter_table('certificate_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_certificate_event_certificate_id'), ['certificate_id'], unique=False)

    op.create_table('destruction_item',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.Column('certificate_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['batch_id'], ['destruction_batch.id'], name=op.f('fk_destruction_item_batch_id_destruction_batch')),
    sa.ForeignKeyConstraint(['certificate_id'], ['certificate.id'], name=op.f('fk_destruction_item_certificate_id_certificate')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_destruction_item')),
    sa.UniqueConstraint('certificate_id', name=op.f('uq_destruction_item_certificate_id'))
    )
    with op.batch_alter_table('destruction_item', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_destruction_item_batch_id'), ['batch_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_destruction_item_certificate_id'), ['certificate_id'], unique=False)

    op.create_table('document',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('archive_file_id', sa.Integer(), nullable=False),
    sa.Column('doc_type', sa.String(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(), nullable=False),
    sa.Column('doc_number', sa.String(), nullable=False),
    sa.Column('responsible', sa.String(), nullable=False),
    sa.Column('dated', sa.Date(), nullable=True),
    sa.Column('page_start', sa.Integer(), nullable=True),
    sa.Column('page_end', sa.Integer(), nullable=True),
    sa.Column('page_count', sa.Integer(), nullable=False),
    sa.Column('signed_by_household', sa.Boolean(), nullable=True),
    sa.Column('signed_by_proxy', sa.Boolean(), nullable=False),
    sa.Column('remark', sa.String(), nullable=False),
    sa.ForeignKeyConstraint(['archive_file_id'], ['archive_file.id'], name=op.f('fk_document_archive_file_id_archive_file')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_document')),
    sa.UniqueConstraint('archive_file_id', 'doc_type', name=op.f('uq_document_archive_file_id_doc_type'))
    )
    with op.batch_alter_table('document', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_document_archive_file_id'), ['archive_file_id'], unique=False)

    op.create_table('file_copy',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('archive_file_id', sa.Integer(), nullable=False),
    sa.Column('level', sa.String(), nullable=False),
    sa.Column('holder', sa.String(), nullable=False),
    sa.Column('keeper', sa.String(), nullable=False),
    sa.Column('building', sa.String(), nullable=False),
    sa.Column('room', sa.String(), nullable=False),
    sa.Column('cabinet', sa.String(), nullable=False),
    sa.Column('shelf', sa.String(), nullable=False),
    sa.Column('box', sa.String(), nullable=False),
    sa.Column('status', sa.String(), nullable=False),
    sa.ForeignKeyConstraint(['archive_file_id'], ['archive_file.id'], name=op.f('fk_file_copy_archive_file_id_archive_file')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_file_copy')),
    sa.UniqueConstraint('archive_file_id', 'level', name=op.f('uq_file_copy_archive_file_id_level'))
    )
    with op.batch_alter_table('file_copy', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_file_copy_archive_file_id'), ['archive_file_id'], unique=False)

    op.create_table('copy_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('copy_id', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(), nullable=False),
    sa.Column('before', sa.String(), nullable=False),
    sa.Column('after', sa.String(), nullable=False),
    sa.Column('reason', sa.String(), nullable=False),
    sa.Column('operator', sa.String(), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['copy_id'], ['file_copy.id'], name=op.f('fk_copy_event_copy_id_file_copy')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_copy_event'))
    )
    with op.batch_alter_table('copy_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_copy_event_copy_id'), ['copy_id'], unique=False)

    op.create_table('scan_page',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('archive_file_id', sa.Integer(), nullable=True),
    sa.Column('document_id', sa.Integer(), nullable=True),
    sa.Column('store_path', sa.String(), nullable=False),
    sa.Column('source_name', sa.String(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('format', sa.String(), nullable=False),
    sa.Column('width', sa.Integer(), nullable=False),
    sa.Column('height', sa.Integer(), nullable=False),
    sa.Column('dpi', sa.Integer(), nullable=False),
    sa.Column('colour_mode', sa.String(), nullable=False),
    sa.Column('page_index', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(), nullable=False),
    sa.Column('reason', sa.String(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['archive_file_id'], ['archive_file.id'], name=op.f('fk_scan_page_archive_file_id_archive_file')),
    sa.ForeignKeyConstraint(['document_id'], ['document.id'], name=op.f('fk_scan_page_document_id_document')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_scan_page')),
    sa.UniqueConstraint('store_path', name=op.f('uq_scan_page_store_path'))
    )
    with op.batch_alter_table('scan_page', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_scan_page_archive_file_id'), ['archive_file_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_scan_page_document_id'), ['document_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_scan_page_sha256'), ['sha256'], unique=False)

    op.create_table('transfer_item',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('transfer_id', sa.Integer(), nullable=False),
    sa.Column('copy_id', sa.Integer(), nullable=False),
    sa.Column('result', sa.String(), nullable=False),
    sa.Column('override_reason', sa.String(), nullable=False),
    sa.Column('note', sa.String(), nullable=False),
    sa.ForeignKeyConstraint(['copy_id'], ['file_copy.id'], name=op.f('fk_transfer_item_copy_id_file_copy')),
    sa.ForeignKeyConstraint(['transfer_id'], ['transfer.id'], name=op.f('fk_transfer_item_transfer_id_transfer')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_transfer_item')),
    sa.UniqueConstraint('transfer_id', 'copy_id', name=op.f('uq_transfer_item_transfer_id_copy_id'))
    )
    with op.batch_alter_table('transfer_item', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_transfer_item_copy_id'), ['copy_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_transfer_item_transfer_id'), ['transfer_id'], unique=False)




def downgrade() -> None:

    with op.batch_alter_table('transfer_item', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_transfer_item_transfer_id'))
        batch_op.drop_index(batch_op.f('ix_transfer_item_copy_id'))

    op.drop_table('transfer_item')
    with op.batch_alter_table('scan_page', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_scan_page_sha256'))
        batch_op.drop_index(batch_op.f('ix_scan_page_document_id'))
        batch_op.drop_index(batch_op.f('ix_scan_page_archive_file_id'))

    op.drop_table('scan_page')
    with op.batch_alter_table('copy_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_copy_event_copy_id'))

    op.drop_table('copy_event')
    with op.batch_alter_table('file_copy', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_file_copy_archive_file_id'))

    op.drop_table('file_copy')
    with op.batch_alter_table('document', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_document_archive_file_id'))

    op.drop_table('document')
    with op.batch_alter_table('destruction_item', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_destruction_item_certificate_id'))
        batch_op.drop_index(batch_op.f('ix_destruction_item_batch_id'))

    op.drop_table('destruction_item')
    with op.batch_alter_table('certificate_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_certificate_event_certificate_id'))

    op.drop_table('certificate_event')
    with op.batch_alter_table('register_entry', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_register_entry_household_id'))

    op.drop_table('register_entry')
    with op.batch_alter_table('parcel', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_parcel_household_id'))

    op.drop_table('parcel')
    with op.batch_alter_table('member', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_member_household_id'))

    op.drop_table('member')
    with op.batch_alter_table('finding', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_finding_rule'))
        batch_op.drop_index('ix_finding_household_rule_subject')
        batch_op.drop_index(batch_op.f('ix_finding_household_id'))

    op.drop_table('finding')
    with op.batch_alter_table('contract', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_contract_household_id'))

    op.drop_table('contract')
    with op.batch_alter_table('certificate', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_certificate_household_id'))
        batch_op.drop_index(batch_op.f('ix_certificate_code'))

    op.drop_table('certificate')
    with op.batch_alter_table('attachment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_attachment_household_id'))

    op.drop_table('attachment')
    with op.batch_alter_table('archive_file', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_archive_file_household_id'))

    op.drop_table('archive_file')
    with op.batch_alter_table('household', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_household_issuer_id'))

    op.drop_table('household')
    op.drop_table('transfer')
    with op.batch_alter_table('issuer', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_issuer_village_code'))

    op.drop_table('issuer')
    op.drop_table('destruction_batch')
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_event_entity_key'))

    op.drop_table('audit_event')

