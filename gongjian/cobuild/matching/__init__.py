"""The matching engine: ranks resident units' resources for communities' needs. Pure Python, no database."""
