// Internal to the report layer: HTML text helpers and the page under construction.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "report/report.h"

namespace inr::report {

// Text -> HTML text (& < > " ' escaped), for element content and quoted attribute values.
std::string escape(std::string_view text);
// JSON for a <script type="application/json"> element: every '<' written as \u003c, so no "</script>" or
// "<!--" can end or confuse the element.
std::string script_json(const nlohmann::json& value);
// "data:image/jpeg;base64,..." of `bytes`.
std::string data_uri(std::string_view mime, std::string_view bytes);

// A table of already-escaped HTML cells. Numeric columns are right-aligned.
class Table {
 public:
  struct Column {
    std::string title;
    bool numeric = false;
  };
  explicit Table(std::vector<Column> columns) : columns_(std::move(columns)) {}
  void add_row(std::vector<std::string> cells) { rows_.push_back(std::move(cells)); }
  bool empty() const { return rows_.empty(); }
  std::string html() const;

 private:
  std::vector<Column> columns_;
  std::vector<std::vector<std::string>> rows_;
};

// The page: sections of HTML and charts, assembled with the inlined scripts by finish().
class Page {
 public:
  void begin_section(const std::string& id, const std::string& title);
  void add_html(std::string html) { body_ += std::move(html); }
  void add_paragraph(const std::string& escaped_html) { body_ += "<p>" + escaped_html + "</p>\n"; }
  void add_heading(const std::string& text) { body_ += "<h3>" + escape(text) + "</h3>\n"; }
  // A Vega-Lite spec (rendered as SVG by vega-embed) with an escaped caption under it.
  void add_chart(const nlohmann::json& spec, const std::string& caption);
  void end_section() { body_ += "</section>\n"; }
  // Raw numbers for tools and tests: data[key] in the inr-report-data element.
  nlohmann::json& data() { return data_; }
  int charts() const { return charts_; }
  const std::vector<std::string>& sections() const { return sections_; }
  std::string finish(const std::string& title, const Scripts& scripts) const;

 private:
  std::string body_;
  nlohmann::json data_ = nlohmann::json::object();
  int charts_ = 0;
  std::vector<std::string> sections_;
  std::vector<std::pair<std::string, std::string>> toc_;  // id, title
};

}  // namespace inr::report
