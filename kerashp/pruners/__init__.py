"""Pruners: what stops a trial early on its scores so far.

`ASHA` (asynchronous successive halving) is the one built in; an algorithm
that can stop trials takes it as `pruner=` (`kerashp.algorithms.TPE(pruner=ASHA())`).
"""

from kerashp.pruners.asha import ASHA

__all__ = ["ASHA"]
