"""The unmet-needs figure and its trend."""
