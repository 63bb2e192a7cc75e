"""Benchmarks and fault-injection scripts: they print figures; they are not timed tests."""
