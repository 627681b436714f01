"""Small panel builders over grafana-foundation-sdk, so that a board reads as a list of
questions and their PromQL (docs/operations.md#dashboards says why this library).

Every panel queries the Prometheus data source chosen in the board's ``datasource`` variable.
"""
from __future__ import annotations

from grafana_foundation_sdk.builders import prometheus, stat, table, timeseries
from grafana_foundation_sdk.builders.dashboard import ThresholdsConfig
from grafana_foundation_sdk.models.dashboard import DataSourceRef, Threshold, ThresholdsMode
from grafana_foundation_sdk.models.prometheus import PromQueryFormat

DATASOURCE = DataSourceRef(type_val="prometheus", uid="${datasource}")

# Panel sizes on Grafana's 24-column grid.
FULL, HALF, THIRD, QUARTER = 24, 12, 8, 6


def query(expr: str, legend: str = "", ref: str = "A", instant: bool = False) -> prometheus.Dataquery:
    built = prometheus.Dataquery().expr(expr).ref_id(ref).datasource(DATASOURCE)
    if legend:
        built = built.legend_format(legend)
    return built.instant() if instant else built.range()


def _red_above(limit: float) -> ThresholdsConfig:
    """Green below ``limit``, red from it on."""
    return ThresholdsConfig().mode(ThresholdsMode.ABSOLUTE).steps([
        Threshold(value=None, color="green"), Threshold(value=limit, color="red")])


def _red_below(limit: float) -> ThresholdsConfig:
    """Red below ``limit`` (a 0 of a 1/0 gauge), green from it on."""
    return ThresholdsConfig().mode(ThresholdsMode.ABSOLUTE).steps([
        Threshold(value=None, color="red"), Threshold(value=limit, color="green")])


def graph(title: str, expr: str, legend: str, unit: str, width: int = HALF,
          description: str = "") -> timeseries.Panel:
    """A time series: how a quantity moved."""
    return (timeseries.Panel().title(title).description(description).datasource(DATASOURCE)
            .with_target(query(expr, legend)).unit(unit).span(width).height(8))


def up_down(title: str, expr: str, legend: str, width: int = HALF, description: str = "") -> stat.Panel:
    """One stat per series of a 1/0 gauge: green for 1, red for 0."""
    return (stat.Panel().title(title).description(description).datasource(DATASOURCE)
            .with_target(query(expr, legend, instant=True)).thresholds(_red_below(1)).span(width).height(5))


def count(title: str, expr: str, legend: str, unit: str = "short", red_from: float | None = 1,
          width: int = QUARTER, description: str = "") -> stat.Panel:
    """One stat per series of a quantity that should be small: red from ``red_from`` on (None:
    a plain number)."""
    panel = (stat.Panel().title(title).description(description).datasource(DATASOURCE)
             .with_target(query(expr, legend, instant=True)).unit(unit).span(width).height(5))
    return panel if red_from is None else panel.thresholds(_red_above(red_from))


def listing(title: str, expr: str, unit: str, width: int = HALF, description: str = "") -> table.Panel:
    """A table of the series of an instant query (one row per label set)."""
    return (table.Panel().title(title).description(description).datasource(DATASOURCE)
            .with_target(query(expr, instant=True).format(PromQueryFormat.TABLE))
            .unit(unit).span(width).height(8))
