"""MedCom's OIOXML messages: the GGOP rehabilitation plan that hospitals send, and the receipts both ways.

`safe_xml` parses untrusted bytes (no DTD, no entities, no network, a size limit), `ggop_schema` checks a
message against the schema the project keeps, `ggop_message` reads what the service uses, `ggop_mapping`
turns it into the domain's plan, `receipts` builds and reads receipts, `inbound_messages` keeps the
originals. `activities.intake.ggop.take_ggop_message` puts them together for both doors (HTTP and the VANS drop).
"""
