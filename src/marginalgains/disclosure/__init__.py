"""Disclosure control: small counts suppressed, complements chosen so nothing hidden can be worked out, and the proof.

Pure functions from (table, structure, rule, audience) to a protected table plus its audit; no
I/O except reading rule files.
"""

from marginalgains.disclosure.audit import audit
from marginalgains.disclosure.breakdowns import Breakdown, catalogue_breakdowns
from marginalgains.disclosure.protect import Protected, protect
from marginalgains.disclosure.rules import DisclosureError, Rule, load_rule
from marginalgains.disclosure.structure import Dimension, Structure, add_totals
from marginalgains.disclosure.values import protect_values

__all__ = ["Breakdown", "Dimension", "DisclosureError", "Protected", "Rule", "Structure", "add_totals", "audit",
           "catalogue_breakdowns", "load_rule", "protect", "protect_values"]
