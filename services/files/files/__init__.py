"""files: electronic and physical files, noting, drafts, movement and audit."""
