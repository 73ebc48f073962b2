// A plain-text table for terminal output: columns sized to their widest cell, left- or right-aligned,
// two spaces apart. A cell may hold several lines (a model's top-5 classes); the row then takes as many
// lines as its tallest cell and the other cells are blank below their first line.
// Written by hand (30 lines): Debian packages no C++ table formatter.
#pragma once

#include <string>
#include <vector>

namespace inr::cli {

class TextTable {
 public:
  enum class Align { kLeft, kRight };
  void add_column(std::string header, Align align);
  size_t columns() const { return headers_.size(); }
  // One cell per column (missing cells are blank); each cell is its lines, top to bottom.
  void add_row(std::vector<std::vector<std::string>> cells);
  // The header line and the rows, '\n'-terminated, trailing spaces trimmed. Widths count bytes, so cells
  // should be ASCII (class names with non-ASCII letters only misalign the columns to their right).
  std::string render() const;

 private:
  std::vector<std::string> headers_;
  std::vector<Align> aligns_;
  std::vector<std::vector<std::vector<std::string>>> rows_;
};

}  // namespace inr::cli
