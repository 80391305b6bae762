"""Property-based tests: invariants over generated input, and fuzzed loaders (issue 6)."""
