"""The suggestions part: the matching engine (``cobuild.matching``) in the running app —
suggestions on the need page, accept/reject remembered, the subdistrict matching board."""
