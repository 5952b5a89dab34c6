"""Co-building (共驻共建): the three lists — needs, resources, projects — the matching engine, unit report-in and partnerships."""
