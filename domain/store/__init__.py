"""The store as a channel: curbside / pickup handover and store pick lists (issue 17)."""
