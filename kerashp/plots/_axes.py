"""The finish kerashp's own line plots share: integer x ticks, labels, title, legend."""

from __future__ import annotations

from typing import Any


def finish(fig: Any, ax: Any, *, xlabel: str, ylabel: str, title: str) -> Any:
    """Labels `ax` (integer ticks on x: epochs or trial numbers), adds the legend, returns `fig`."""
    from matplotlib.ticker import MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.legend(fontsize="small")
    fig.tight_layout()
    return fig
