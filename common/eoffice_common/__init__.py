"""Plumbing shared by every eoffice service. Knows nothing about receipts or files."""
