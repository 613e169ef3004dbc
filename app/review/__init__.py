"""Review state of a dataset (verdicts, notes, frame markers) and its exchange between reviewers."""
