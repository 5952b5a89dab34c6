"""Figures of volunteering (registered with the core registry) and the demo city's volunteering steps."""
