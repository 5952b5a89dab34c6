"""Unit report-in (单位双报到) and organ-branch ↔ community partnerships (联建) with yearly agreements."""
