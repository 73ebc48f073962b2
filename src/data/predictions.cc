#include "data/predictions.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <fstream>
#include <unordered_map>

#include <nlohmann/json.hpp>

#include "core/file.h"
#include "data/dataset.h"

namespace inr::data {

namespace {

// Scores are written with 6 decimals: enough to rank and to recompute anything printed, and it keeps the
// journal about 150 bytes a line.
double round6(double v) { return std::round(v * 1e6) / 1e6; }
// Times in ms with microsecond resolution.
double round3(double v) { return std::round(v * 1e3) / 1e3; }

Result<Prediction> parse_tsv(std::string_view line, const std::string& where) {
  // path<TAB>label<TAB>i1,i2,...
  size_t t1 = line.find('\t');
  size_t t2 = t1 == std::string_view::npos ? t1 : line.find('\t', t1 + 1);
  if (t2 == std::string_view::npos) return error("{}: expected a JSON object or 'path<TAB>label<TAB>top,...'", where);
  INR_ASSIGN_OR_RETURN(ListEntry e, parse_list_line(line.substr(0, t2), where));
  Prediction p;
  p.path = std::move(e.path);
  p.label = e.label;
  std::string_view rest = line.substr(t2 + 1);
  while (!rest.empty() && (rest.back() == '\r' || rest.back() == ' ')) rest.remove_suffix(1);
  while (!rest.empty()) {
    size_t comma = rest.find(',');
    std::string_view tok = rest.substr(0, comma);
    int v = 0;
    auto [ptr, ec] = std::from_chars(tok.data(), tok.data() + tok.size(), v);
    if (ec != std::errc() || ptr != tok.data() + tok.size()) return error("{}: bad class index '{}'", where, tok);
    p.top.push_back(v);
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  if (p.top.empty()) return error("{}: no predicted classes", where);
  return p;
}

}  // namespace

std::string json_line(const nlohmann::json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

std::string to_jsonl(const Prediction& p) {
  nlohmann::json j;
  j["image"] = p.path;
  if (p.label >= 0) j["label"] = p.label;
  if (p.failed()) {
    j["error"] = p.error;
  } else {
    j["top"] = p.top;
    nlohmann::json scores = nlohmann::json::array();
    for (float s : p.scores) scores.push_back(round6(s));
    j["scores"] = std::move(scores);
    if (!p.names.empty()) j["names"] = p.names;
    j["ms"] = round3(p.ms);
  }
  return json_line(j);
}

Result<Prediction> parse_prediction(std::string_view line, const std::string& where) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  if (line.empty() || line[0] != '{') return parse_tsv(line, where);
  nlohmann::json j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return error("{}: not a JSON object", where);
  Prediction p;
  auto path = j.find("image");
  auto label = j.find("label");
  if (path == j.end() || !path->is_string()) return error("{}: missing \"image\"", where);
  if (label != j.end() && !label->is_number_integer()) return error("{}: \"label\" is not an integer", where);
  p.path = path->get<std::string>();
  if (label != j.end()) p.label = label->get<int>();
  if (p.label < -1) return error("{}: negative \"label\" {}", where, p.label);
  if (auto e = j.find("error"); e != j.end()) {
    p.error = e->is_string() ? e->get<std::string>() : e->dump();
    if (p.error.empty()) p.error = "failed";
    return p;
  }
  auto top = j.find("top");
  if (top == j.end() || !top->is_array() || top->empty()) return error("{}: missing \"top\" array", where);
  for (const auto& v : *top) {
    if (!v.is_number_integer()) return error("{}: \"top\" holds a non-integer", where);
    p.top.push_back(v.get<int>());
  }
  if (auto s = j.find("scores"); s != j.end() && s->is_array())
    for (const auto& v : *s)
      if (v.is_number()) p.scores.push_back(v.get<float>());
  if (auto ms = j.find("ms"); ms != j.end() && ms->is_number()) p.ms = ms->get<double>();
  return p;
}

Result<PredictionsFile> read_predictions(const std::string& path) {
  INR_ASSIGN_OR_RETURN(std::string text, read_file(path));
  PredictionsFile f;
  size_t pos = 0;
  int line_no = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string::npos) {
      f.dropped_torn_tail = true;  // written by a killed run: never a complete record
      break;
    }
    ++line_no;
    std::string_view line(text.data() + pos, nl - pos);
    pos = nl + 1;
    f.valid_bytes = pos;
    if (line.empty() || line == "\r" || line[0] == '#') continue;
    if (line[0] == '{' && line.find("\"schema\"") != std::string_view::npos) {
      // The header (first line) or a summary line (classify --json ends with one): not an image.
      nlohmann::json h = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
      if (h.is_object() && h.contains("schema")) {
        if (f.predictions.empty() && f.header.is_null()) f.header = std::move(h);
        continue;
      }
    }
    INR_ASSIGN_OR_RETURN(Prediction p, parse_prediction(line, fmt::format("{}:{}", path, line_no)));
    f.predictions.push_back(std::move(p));
  }
  return f;
}

namespace {

// A journal's first line must be its header; an older inr wrote none (and other keys).
Status check_has_header(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::string first;
  if (!std::getline(in, first) || in.eof()) return Status::ok();  // empty, or one torn line: nothing to keep
  nlohmann::json h = nlohmann::json::parse(first, nullptr, /*allow_exceptions=*/false);
  if (!h.is_object() || !h.contains("schema"))
    return error("{}: has no header line (written by an older inr, or not an eval journal); start a new one", path);
  return Status::ok();
}

}  // namespace

PredictionsJournal::PredictionsJournal(std::string path, int fd, PredictionsFile existing)
    : path_(std::move(path)), fd_(fd), existing_(std::move(existing)) {}

PredictionsJournal::PredictionsJournal(PredictionsJournal&& o) noexcept
    : path_(std::move(o.path_)), fd_(o.fd_), existing_(std::move(o.existing_)), buffer_(std::move(o.buffer_)) {
  o.fd_ = -1;
}

PredictionsJournal::~PredictionsJournal() {
  if (fd_ >= 0) ::close(fd_);
}

Result<PredictionsJournal> PredictionsJournal::open(const std::string& path, bool resume,
                                                    const nlohmann::json& header) {
  struct stat st {};
  const bool exists = ::stat(path.c_str(), &st) == 0;
  if (exists && S_ISDIR(st.st_mode)) return error("{}: is a directory", path);
  PredictionsFile existing;
  if (exists && st.st_size > 0) {
    if (!resume)
      return error("{}: already exists; pass --resume to continue it, or remove it to start over", path);
    INR_TRY(check_has_header(path));
    INR_ASSIGN_OR_RETURN(existing, read_predictions(path));
  }
  if (exists && !S_ISREG(st.st_mode)) return error("{}: not a regular file", path);
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) return error("{}: cannot open for writing: {}", path, std::strerror(errno));
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    int e = errno;
    ::close(fd);
    if (e == EWOULDBLOCK) return error("{}: another inr process is writing this journal", path);
    return error("{}: cannot lock: {}", path, std::strerror(e));
  }
  // Read again under the lock: a writer that finished between the first read and the lock changed it.
  if (exists && st.st_size > 0) {
    auto again = read_predictions(path);
    if (!again) {
      ::close(fd);
      return again.status();
    }
    existing = std::move(*again);
  }
  if (existing.header.is_null() && existing.valid_bytes > 0) {
    ::close(fd);
    return error("{}: has no header line (written by an older inr, or not an eval journal); start a new one", path);
  }
  if (existing.dropped_torn_tail && ::ftruncate(fd, static_cast<off_t>(existing.valid_bytes)) != 0) {
    int e = errno;
    ::close(fd);
    return error("{}: cannot drop the torn last line: {}", path, std::strerror(e));
  }
  if (existing.header.is_null()) {
    struct stat now {};
    if (::fstat(fd, &now) == 0 && now.st_size == 0) {
      std::string line = json_line(header);
      if (::write(fd, line.data(), line.size()) != static_cast<ssize_t>(line.size())) {
        int e = errno;
        ::close(fd);
        return error("{}: cannot write the header: {}", path, std::strerror(e));
      }
      existing.header = header;
    }
  }
  return PredictionsJournal(path, fd, std::move(existing));
}

Status PredictionsJournal::append(std::span<const Prediction> predictions) {
  buffer_.clear();
  for (const Prediction& p : predictions) buffer_ += to_jsonl(p);
  size_t done = 0;
  while (done < buffer_.size()) {
    ssize_t n = ::write(fd_, buffer_.data() + done, buffer_.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return error("{}: write failed: {}", path_, std::strerror(errno));
    }
    done += static_cast<size_t>(n);
  }
  return Status::ok();
}

void Summary::add(const Prediction& p) {
  if (p.failed()) {
    ++failed;
    return;
  }
  ++images;
  TopHit h = top_hit(p.top, p.label);
  top1 += h.top1;
  top5 += h.top5;
  inference_ms += p.ms;
}

Summary summarize(std::span<const Prediction> predictions) {
  Summary s;
  for (const Prediction& p : predictions) s.add(p);
  return s;
}

Result<std::vector<Prediction>> merge_predictions(std::span<const PredictionsFile> files,
                                                  std::span<const std::string> names) {
  std::vector<Prediction> out;
  std::unordered_map<std::string, size_t> where;  // path -> file index
  for (size_t f = 0; f < files.size(); ++f) {
    for (const Prediction& p : files[f].predictions) {
      auto [it, inserted] = where.emplace(p.path, f);
      if (!inserted) {
        const std::string& a = it->second < names.size() ? names[it->second] : "?";
        const std::string& b = f < names.size() ? names[f] : "?";
        if (it->second == f) return error("{}: '{}' appears twice", b, p.path);
        return error("'{}' is in both {} and {} (overlapping shards, or a file given twice)", p.path, a, b);
      }
      out.push_back(p);
    }
  }
  std::sort(out.begin(), out.end(), [](const Prediction& a, const Prediction& b) { return a.path < b.path; });
  return out;
}

}  // namespace inr::data
