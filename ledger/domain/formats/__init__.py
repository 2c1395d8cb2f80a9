"""Exchange formats of the field: CWR (works), DDEX DSR (usage), C2PA (provenance), ODRL (terms)."""
