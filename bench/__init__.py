"""`make bench`: the performance budget of ARCHITECTURE.md, measured side by side in one run
against a local Azurite, printed as `name: value` lines. Run by hand, never by the tests."""
