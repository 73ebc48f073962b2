// Test helper for tests that build ONNX models by hand as protobuf messages.
#pragma once

#include <fstream>
#include <string>

#include <onnx/onnx_pb.h>

namespace inr::test {

// Writes `m` to `path` (binary protobuf) and returns `path`.
inline std::string save_model(const std::string& path, const onnx::ModelProto& m) {
  std::string bytes;
  m.SerializeToString(&bytes);
  std::ofstream(path, std::ios::binary) << bytes;
  return path;
}

}  // namespace inr::test
