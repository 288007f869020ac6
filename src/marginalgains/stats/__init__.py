"""Statistics for unwarranted variation: intervals, funnels, variation summaries and SPC.

Methods follow PHEindicatormethods, FunnelPlotR and NHSRplotthedots / Making Data Count; see
docs/methods.md for formulas, constants and where the references disagree.
"""

from .ci import mean_ci, poisson_limits, proportion, rate, wilson
from .compare import compare, quantile_category, trend
from .funnel import funnel_band, funnel_limits
from .overdispersion import overdispersion
from .spc import SPCResult, cchart, gchart, pchart, run_chart, tchart, uchart, xmr
from .standardise import dsr, isr
from .variation import variation, variation_table

__all__ = [
    "SPCResult",
    "cchart",
    "compare",
    "dsr",
    "funnel_band",
    "funnel_limits",
    "gchart",
    "isr",
    "mean_ci",
    "overdispersion",
    "pchart",
    "poisson_limits",
    "proportion",
    "quantile_category",
    "rate",
    "run_chart",
    "tchart",
    "trend",
    "uchart",
    "variation",
    "variation_table",
    "wilson",
    "xmr",
]
