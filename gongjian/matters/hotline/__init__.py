"""The 12345 hotline part of matters: work orders imported from the hotline's exports (a feature slice, decision 0009)."""
