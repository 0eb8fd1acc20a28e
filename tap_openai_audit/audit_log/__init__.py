"""The audit log: both scopes read in windows, and the coverage ledger."""
