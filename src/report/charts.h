// Internal to the report layer: the Vega-Lite specs of the report's charts. Data go inline ("values");
// no spec names a URL, so the page needs nothing from the network.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace inr::report {

// A point with an interval [lo, hi] on one row of a chart, in one series (colour).
struct IntervalPoint {
  std::string row, series;
  double value = 0, lo = 0, hi = 0;
};
// Points with interval rules, one row per distinct `row` (in first-seen order), series side by side within
// a row. `zero_rule`: a dashed rule at x = 0 (for deltas).
nlohmann::json interval_chart(const std::vector<IntervalPoint>& points, const std::string& x_title, bool zero_rule);

// Histogram of `values` (binned by Vega-Lite) with labelled vertical rules at `marks` (name, x).
nlohmann::json histogram_chart(const std::vector<double>& values, const std::string& x_title,
                               const std::vector<std::pair<std::string, double>>& marks);

// Stacked histogram of probabilities in [0, 1], split by outcome (e.g. "right" / "wrong").
nlohmann::json outcome_histogram_chart(const std::vector<std::pair<double, std::string>>& values,
                                       const std::string& x_title);

// Horizontal bars, longest first; coloured by `group` when any bar has one, with the colours of
// `group_domain` (the same group gets the same colour in every chart given the same domain). No legend
// when `group_title` is empty (the bars' labels already name the groups).
struct Bar {
  std::string label, group;
  double value = 0, percent = 0;
};
nlohmann::json bar_chart(const std::vector<Bar>& bars, const std::string& x_title, const std::string& group_title,
                         const std::vector<std::string>& group_domain);

// Latency statistics (min, p50, ..., max) as one line per series on a log axis.
struct StatPoint {
  std::string series, stat;
  double ms = 0;
};
nlohmann::json stat_lines_chart(const std::vector<StatPoint>& points, const std::vector<std::string>& stat_order,
                                const std::string& y_title);

}  // namespace inr::report
