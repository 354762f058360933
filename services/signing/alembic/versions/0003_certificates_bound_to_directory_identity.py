"""certificates bound to the directory identity: users' email; one active registration per key
label and per certificate (a revoked one no longer blocks the officer the certificate names)

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-06 16:20:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


# 0001 left the fingerprint's unique constraint unnamed: PostgreSQL's name for it, and one for SQLite's batch copy.
FINGERPRINT_UNIQUE = {"postgresql": "certificates_fingerprint_sha256_key", "sqlite": "uq_certificates_fingerprint_sha256"}
NAMING = {"uq": "uq_%(table_name)s_%(column_0_name)s"}
ACTIVE = sa.text("status = 'active'")


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email', sa.String(length=254), nullable=True))
    dialect = op.get_bind().dialect.name
    with op.batch_alter_table('certificates', schema=None, naming_convention=NAMING) as batch_op:
        batch_op.drop_constraint(FINGERPRINT_UNIQUE[dialect], type_='unique')
        batch_op.create_index('ix_certificates_fingerprint_sha256', ['fingerprint_sha256'], unique=False)
        batch_op.create_index('uq_certificates_active_key_label', ['key_label'], unique=True, postgresql_where=ACTIVE, sqlite_where=ACTIVE)
        batch_op.create_index('uq_certificates_active_fingerprint', ['fingerprint_sha256'], unique=True, postgresql_where=ACTIVE, sqlite_where=ACTIVE)


def downgrade():
    dialect = op.get_bind().dialect.name
    with op.batch_alter_table('certificates', schema=None, naming_convention=NAMING) as batch_op:
        batch_op.drop_index('uq_certificates_active_fingerprint')
        batch_op.drop_index('uq_certificates_active_key_label')
        batch_op.drop_index('ix_certificates_fingerprint_sha256')
        batch_op.create_unique_constraint(FINGERPRINT_UNIQUE[dialect], ['fingerprint_sha256'])
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('email')
