"""Pages, API and navigation of the matters app (a part, decision 0009)."""
