"""What nodes carry: shared changes, exact and similar, and the fingerprints they are compared by."""
