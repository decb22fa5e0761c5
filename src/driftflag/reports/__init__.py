"""Reports for people: the monthly drift scorecard (HTML and xlsx)."""

from driftflag.reports.scorecard import Scorecard, build_scorecard, direction_of_travel, rag_rating

__all__ = ["Scorecard", "build_scorecard", "direction_of_travel", "rag_rating"]
