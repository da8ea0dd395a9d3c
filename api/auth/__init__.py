"""Who is asking: signed identities (JWT bearer tokens), their roles and scope, and what each may do."""
