"""Bulk loading of records from files: all or nothing per file, every bad line reported."""
