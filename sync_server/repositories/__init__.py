"""All queries live here, row locks included; services never build SQL."""
