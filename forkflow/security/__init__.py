"""Security fixes: which central commits fix a known hole, and which nodes still lack each fix."""
