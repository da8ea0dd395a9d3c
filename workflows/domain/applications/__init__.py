"""Applications for training without a hospital stay (Serviceloven §86 / Ældreloven): a second kind of case.

The pure core of its own aggregate: commands, events, `decide` and `evolve`, deadlines and the
effective-dated legal configuration. No I/O and no clock, like `workflows.domain`.
"""
