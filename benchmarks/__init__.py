"""Speed measurements: `python -m benchmarks` (or `make bench`). Never part of the tests, except a --quick smoke."""
