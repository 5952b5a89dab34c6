"""Figures, import and demo steps of the matters app (a part, decision 0009)."""
