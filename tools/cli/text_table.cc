#include "text_table.h"

#include <algorithm>

namespace inr::cli {

void TextTable::add_column(std::string header, Align align) {
  headers_.push_back(std::move(header));
  aligns_.push_back(align);
}

void TextTable::add_row(std::vector<std::vector<std::string>> cells) {
  cells.resize(headers_.size());
  rows_.push_back(std::move(cells));
}

std::string TextTable::render() const {
  std::vector<size_t> width(headers_.size());
  for (size_t c = 0; c < headers_.size(); ++c) {
    width[c] = headers_[c].size();
    for (const auto& row : rows_)
      for (const std::string& line : row[c]) width[c] = std::max(width[c], line.size());
  }
  static const std::string kBlank;
  auto emit = [&](const std::vector<const std::string*>& cells, std::string& out) {
    std::string line;
    for (size_t c = 0; c < cells.size(); ++c) {
      const std::string& s = cells[c] ? *cells[c] : kBlank;
      std::string pad(width[c] - std::min(width[c], s.size()), ' ');
      if (c) line += "  ";
      line += aligns_[c] == Align::kRight ? pad + s : s + pad;
    }
    line.erase(line.find_last_not_of(' ') + 1);
    out += line + "\n";
  };
  std::string out;
  std::vector<const std::string*> cells(headers_.size());
  for (size_t c = 0; c < headers_.size(); ++c) cells[c] = &headers_[c];
  emit(cells, out);
  for (const auto& row : rows_) {
    size_t height = 1;
    for (const auto& cell : row) height = std::max(height, cell.size());
    for (size_t l = 0; l < height; ++l) {
      for (size_t c = 0; c < row.size(); ++c) cells[c] = l < row[c].size() ? &row[c][l] : nullptr;
      emit(cells, out);
    }
  }
  return out;
}

}  // namespace inr::cli
