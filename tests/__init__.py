"""The test suite, one folder per concept; fixtures in tests/conftest.py."""
