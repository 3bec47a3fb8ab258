"""Scans spread over a Dask cluster."""
