"""The scan: each node against its parent, from the heads to the report."""
