"""each row of the directory copy keeps when dak recorded it: only a newer record replaces it

Revision ID: notify_directory_versioned
Revises: 0006_sender_acknowledgements
Create Date: 2026-12-06 19:00:00
"""
from eoffice_common.migrations import directory_copy_unversioned, directory_copy_versioned

revision = 'notify_directory_versioned'
down_revision = '0006_sender_acknowledgements'
branch_labels = None
depends_on = None


def upgrade():
    directory_copy_versioned("recipients")


def downgrade():
    directory_copy_unversioned("recipients")
