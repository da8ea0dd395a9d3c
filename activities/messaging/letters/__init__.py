"""Letters the municipality owes the citizen: their Danish text, the PDF the citizen gets, and the MeMo
message that carries it through Digital Post."""
