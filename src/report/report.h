// `inr report`: one self-contained HTML page (no network, no CDN: opens offline) from the JSON that inr
// writes. Reads JSON and writes HTML; knows no graph, session or backend.
//
// Inputs are dispatched on their "schema" name (tools/cli/provenance.h):
//   inr.eval.summary, inr.merge.summary  accuracy (top-1 / top-5 with 95% intervals), throughput
//   inr.eval.journal                     (`eval --out`, JSONL) per-image latency and confidence histograms
//   inr.compare                          accuracy per side, delta vs A with its interval and McNemar's p,
//                                        agreement, latency per model, flipped images as thumbnails; both
//                                        the N-model form ("models") and the two-sided one ("a", "b")
//   inr.bench                            latency percentiles and throughput per batch, per-op tables
//   inr.profile                          time by op type, by node and by backend
//   inr.quantize.summary                 (`quantize --json`) how a model was quantized: mode, calibrator,
//                                        weight / activation types, nodes quantized and left float, sizes
// A file with no schema, or one not listed, is an error naming it.
//
// The page: a "Runs" table of the machine facts of every input (CPU tier, threads, versions, model sha256,
// dataset fingerprint, preprocessing), then one section per kind of content. Charts are Vega-Lite specs
// rendered in the browser by Vega + Vega-Lite + vega-embed, whose minified bundles are inlined (about
// 830 KB); thumbnails are small JPEG data URIs made with inr's own decode / resize / encode.
//
// Hooks for tests and tools (stable): every chart is a <div class="chart" id="chart-N"> with its spec in
// <script type="application/json" class="vl-spec" data-target="chart-N">; every section is a
// <section id="...">; the raw numbers shown are in <script type="application/json" id="inr-report-data">.
// Once every chart has rendered, <body> gets data-rendered="<number of charts>", data-height (the page's
// height in CSS pixels) and data-layout, a JSON list of {"id", "x", "y", "w", "h"} (CSS pixels, page
// coordinates) of every section and chart; a chart that fails sets data-render-error and logs to the console.
#pragma once

#include <span>
#include <string>
#include <vector>

#include "inr/status.h"

namespace inr::report {

// The three browser bundles, read from an npm node_modules folder (tools/report/node_modules after
// `npm ci`; versions pinned by tools/report/package-lock.json).
struct Scripts {
  std::string vega, vega_lite, vega_embed;
};
// Paths of the bundles below node_modules, in load order.
inline constexpr const char* kScriptFiles[] = {"vega/build/vega.min.js", "vega-lite/build/vega-lite.min.js",
                                               "vega-embed/build/vega-embed.min.js"};
// True when `node_modules` holds all three bundles.
bool has_scripts(const std::string& node_modules);
Result<Scripts> load_scripts(const std::string& node_modules);

struct Options {
  std::string title = "inr report";
  // Folders tried first for the images of flipped predictions (keys are relative to the dataset root);
  // after them, the dataset root recorded in each input.
  std::vector<std::string> image_roots;
  std::string labels;        // class names, one per line; empty: the built-in ImageNet-1k names
  int max_thumbnails = 48;   // flipped images shown as pictures per comparison (the rest are listed)
  int thumbnail_px = 112;    // thumbnails: shorter side resized to this, center square crop (shown 1:1)
  int thumbnail_quality = 80;
  int top_nodes = 25;        // nodes in the "time by layer" charts
};

// What a report holds, for the caller's summary line and tests.
struct Stats {
  int charts = 0;
  int thumbnails = 0;
  int missing_images = 0;              // flipped images not found under any root: listed without a picture
  std::vector<std::string> sections;   // ids, in page order
};

// Reads every file (JSON, or JSONL for an eval journal), then the bundles from the first of `script_dirs`
// that has all three, and returns the page. Errors: a bad input (named), then missing bundles (naming the
// folders looked in and scripts/install-deps.sh).
Result<std::string> generate(std::span<const std::string> files, std::span<const std::string> script_dirs,
                             const Options& options, Stats* stats = nullptr);

}  // namespace inr::report
