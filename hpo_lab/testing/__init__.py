"""Shared test suites that every built-in sampler, pruner, storage and executor runs through.

The suites are plain pytest classes; a test module subclasses one and provides the fixture
that builds the component under test (see :mod:`hpo_lab.testing.pytest_storages`). Importing
this package needs pytest only when a suite module is imported.
"""
