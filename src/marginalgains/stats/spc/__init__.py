"""Statistical process control, vectorised over any number of series; one step a module.

``layout`` sorts points into series and rebased segments, ``limits`` gives centre and sigma,
``rules`` the Making Data Count special-cause rules, ``icons`` point types and variation icons,
``assurance`` targets against limits, ``charts`` assembles an :class:`SPCResult`; ``xmr`` and
``attribute`` (p, u, c) and ``rare`` (g, t) are the control charts, ``runs`` the run chart. Pass ``groups`` (a series id per point, time order
within each series) and every step runs as grouped numpy over all points at once.
"""

from .assurance import ASSURANCE
from .attribute import cchart, pchart, uchart
from .charts import MIN_POINTS
from .icons import ICONS, IMPROVEMENT, POINT_TYPES
from .limits import D2, LIMIT_FACTOR, SCREEN_FACTOR
from .rare import T_POWER, gchart, tchart
from .result import SPCResult
from .rules import RULES, TWO_OF_THREE
from .runs import RUN_RULES, run_chart
from .xmr import xmr

__all__ = [
    "ASSURANCE", "D2", "ICONS", "IMPROVEMENT", "LIMIT_FACTOR", "MIN_POINTS", "POINT_TYPES", "RULES", "RUN_RULES",
    "SCREEN_FACTOR", "T_POWER", "TWO_OF_THREE", "SPCResult", "cchart", "gchart", "pchart", "run_chart", "tchart",
    "uchart", "xmr",
]
