"""Potential mapping (pemetaan potensi): rounds with a deadline in which the OPDs submit the
cooperation potentials of their government affairs; a potential becomes a proposal in one step."""
