"""each row of the directory copy keeps when dak recorded it: only a newer record replaces it

Revision ID: metrics_directory_versioned
Revises: 0005
Create Date: 2026-12-06 19:00:00
"""
from eoffice_common.migrations import directory_copy_unversioned, directory_copy_versioned

revision = 'metrics_directory_versioned'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    directory_copy_versioned("users", "offices")


def downgrade():
    directory_copy_unversioned("users", "offices")
