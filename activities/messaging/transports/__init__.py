"""The transports outbound messages leave by, behind one small interface (`base.Transport`)."""
