"""Figures, import and demo steps of the meetings app (a part, decision 0009)."""
