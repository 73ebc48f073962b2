// The page skeleton: inline CSS, the sections, the specs as JSON elements, the three bundles inlined in
// load order (vega, vega-lite, vega-embed: the embed bundle expects the other two as globals), then a
// small script that embeds every spec as SVG and records on <body> when all charts have rendered and
// where each section and chart lies (for the headless-browser test's per-section screenshots).
#include "report/html.h"

#include <cctype>

#include <fmt/format.h>

namespace inr::report {

namespace {

constexpr std::string_view kStyle = R"css(
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1d2330;margin:0;background:#fff}
header{background:#1f3a5f;color:#fff;padding:18px 28px}
header h1{margin:0;font-size:22px}
header p{margin:4px 0 0;opacity:.85}
nav{padding:8px 28px;border-bottom:1px solid #dde3ea;background:#f6f8fb}
nav a{margin-right:16px;color:#1f3a5f;text-decoration:none}
main{padding:4px 28px 40px;max-width:1180px}
section{padding:6px 0 18px;border-bottom:1px solid #e6eaf0}
h2{font-size:18px;margin:18px 0 8px;color:#1f3a5f}
h3{font-size:15px;margin:16px 0 6px}
table{border-collapse:collapse;margin:6px 0 12px;font-size:13px}
th,td{border:1px solid #d5dbe3;padding:3px 8px;text-align:left;vertical-align:top}
th{background:#eef2f7}
td.num{text-align:right;font-variant-numeric:tabular-nums}
code{font-size:12px}
.chart{margin:8px 0 2px}
.caption{color:#5a6473;font-size:12px;margin:0 0 12px}
.flips{display:flex;flex-wrap:wrap;gap:10px}
.flips figure{margin:0;width:120px;font-size:11px;overflow-wrap:anywhere;border:3px solid #ccc;border-radius:4px;padding:4px;background:#fafbfc}
.flips figure.a{border-color:#4c78a8}
.flips figure.b{border-color:#f58518}
.flips img{display:block;width:112px;height:112px;margin:0 auto}
.flips .noimg{width:112px;height:112px;margin:0 auto;background:#e9edf2;color:#5a6473;display:flex;align-items:center;justify-content:center;text-align:center}
.muted{color:#5a6473}
details{margin:4px 0 10px}
)css";

// Embeds every spec; sets body[data-rendered] when all are drawn and body[data-layout] with the boxes.
constexpr std::string_view kRenderScript = R"js(
(function () {
  var specs = Array.prototype.slice.call(document.querySelectorAll('script.vl-spec'));
  var jobs = specs.map(function (s) {
    var target = document.getElementById(s.getAttribute('data-target'));
    return vegaEmbed(target, JSON.parse(s.textContent), {mode: 'vega-lite', renderer: 'svg', actions: false});
  });
  Promise.all(jobs).then(function () {
    var boxes = [];
    document.querySelectorAll('section[id], div.chart[id]').forEach(function (e) {
      var r = e.getBoundingClientRect();
      boxes.push({id: e.id, x: Math.round(r.left + window.scrollX), y: Math.round(r.top + window.scrollY),
                  w: Math.round(r.width), h: Math.round(r.height)});
    });
    document.body.setAttribute('data-layout', JSON.stringify(boxes));
    document.body.setAttribute('data-height', String(document.documentElement.scrollHeight));
    document.body.setAttribute('data-rendered', String(jobs.length));
  }).catch(function (e) {
    document.body.setAttribute('data-render-error', String(e));
    console.error('inr report: a chart failed to render: ' + e);
  });
})();
)js";

// A bundle inside <script>: "</script" (any case) would end the element. The pinned bundles have none; a
// future one that had would have it inside a string or regex literal, where "<\/script" means the same.
std::string inline_script(std::string_view js) {
  std::string out;
  out.reserve(js.size() + 32);
  size_t pos = 0;
  for (size_t i = 0; i + 8 <= js.size(); ++i) {
    if (js[i] != '<' || js[i + 1] != '/') continue;
    std::string tag(js.substr(i + 2, 6));
    for (char& c : tag) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (tag != "script") continue;
    out.append(js.substr(pos, i + 1 - pos));
    out += '\\';
    pos = i + 1;
  }
  out.append(js.substr(pos));
  // A trailing source-map comment would point at a file that is not beside the page.
  if (size_t m = out.rfind("//# sourceMappingURL="); m != std::string::npos) {
    const size_t eol = out.find('\n', m);
    if (eol == std::string::npos || out.find_first_not_of(" \t\r\n", eol) == std::string::npos) out.resize(m);
  }
  return out;
}

}  // namespace

std::string escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string script_json(const nlohmann::json& value) {
  const std::string text = value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (c == '<') out += "\\u003c";
    else out += c;
  }
  return out;
}

std::string data_uri(std::string_view mime, std::string_view bytes) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out = fmt::format("data:{};base64,", mime);
  out.reserve(out.size() + (bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const uint32_t v = static_cast<uint32_t>(static_cast<uint8_t>(bytes[i])) << 16 |
                       static_cast<uint32_t>(static_cast<uint8_t>(bytes[i + 1])) << 8 |
                       static_cast<uint8_t>(bytes[i + 2]);
    for (int s = 18; s >= 0; s -= 6) out += kAlphabet[(v >> s) & 63];
  }
  if (const size_t rest = bytes.size() - i; rest > 0) {
    uint32_t v = static_cast<uint32_t>(static_cast<uint8_t>(bytes[i])) << 16;
    if (rest == 2) v |= static_cast<uint32_t>(static_cast<uint8_t>(bytes[i + 1])) << 8;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += rest == 2 ? kAlphabet[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

std::string Table::html() const {
  std::string out = "<table><thead><tr>";
  for (const Column& c : columns_) out += "<th>" + escape(c.title) + "</th>";
  out += "</tr></thead><tbody>\n";
  for (const auto& row : rows_) {
    out += "<tr>";
    for (size_t i = 0; i < row.size(); ++i)
      out += (i < columns_.size() && columns_[i].numeric ? "<td class=\"num\">" : "<td>") + row[i] + "</td>";
    out += "</tr>\n";
  }
  return out + "</tbody></table>\n";
}

void Page::begin_section(const std::string& id, const std::string& title) {
  sections_.push_back(id);
  toc_.emplace_back(id, title);
  body_ += fmt::format("<section id=\"{}\">\n<h2>{}</h2>\n", escape(id), escape(title));
}

void Page::add_chart(const nlohmann::json& spec, const std::string& caption) {
  const std::string id = fmt::format("chart-{}", ++charts_);
  body_ += fmt::format("<div class=\"chart\" id=\"{}\"></div>\n", id);
  body_ += fmt::format("<script type=\"application/json\" class=\"vl-spec\" data-target=\"{}\">{}</script>\n", id,
                       script_json(spec));
  if (!caption.empty()) body_ += "<p class=\"caption\">" + escape(caption) + "</p>\n";
}

std::string Page::finish(const std::string& title, const Scripts& scripts) const {
  std::string out;
  out.reserve(body_.size() + scripts.vega.size() + scripts.vega_lite.size() + scripts.vega_embed.size() + 16384);
  out += "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
  out += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
  out += "<title>" + escape(title) + "</title>\n<style>" + std::string(kStyle) + "</style>\n</head>\n<body>\n";
  out += "<header><h1>" + escape(title) + "</h1><p>Written by inr " INR_VERSION
         " report; self-contained: opens offline.</p></header>\n<nav>";
  for (const auto& [id, t] : toc_) out += fmt::format("<a href=\"#{}\">{}</a>", escape(id), escape(t));
  out += "</nav>\n<main>\n" + body_ + "</main>\n";
  out += "<script type=\"application/json\" id=\"inr-report-data\">" + script_json(data_) + "</script>\n";
  for (const std::string* js : {&scripts.vega, &scripts.vega_lite, &scripts.vega_embed})
    out += "<script>" + inline_script(*js) + "</script>\n";
  out += "<script>" + std::string(kRenderScript) + "</script>\n</body>\n</html>\n";
  return out;
}

}  // namespace inr::report
