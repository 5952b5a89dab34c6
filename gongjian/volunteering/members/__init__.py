"""Members' report-in (双报到), half-year receipts (回执, PDF), pledges; the member's own pages and the unit's pages."""
