"""Outbound messages: what the service sends (MedCom messages, Digital Post letters) and the events that say
truthfully what became of each. Pure: importable by workflow code."""
