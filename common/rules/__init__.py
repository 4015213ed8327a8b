"""The loyalty rules: (program, store clock, card, operation, facts, now) -> decision."""

from common.rules.context import Facts, RuleContext
from common.rules.decide import decide

__all__ = ["Facts", "RuleContext", "decide"]
