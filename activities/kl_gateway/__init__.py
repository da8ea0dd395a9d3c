"""KL Gateway Rehab delivery reports (KL's implementation guide `hl7dk/kl-gateway-rehab` 2.2.0, FHIR R4).

One DeliveryReport bundle per citizen and municipality, holding only what changed since the citizen's last
accepted report (and what it references): `facts` folds a case's events into what the guide asks about,
`resources` turns those facts into FHIR resources, `rules` checks the guide's invariants, `delta` picks what
goes out, `store` records what was sent, `transport` delivers, `reporting` ties them together. The mapping
of the service's codes to KL's is one table, `codes`; docs/reports.md documents all of it.
"""
