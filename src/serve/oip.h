// Open Inference Protocol v2 (KServe v2 / Triton HTTP) messages: parsing an inference request and writing
// the response, with Triton's binary tensor data and classification extensions. No HTTP and no Session
// here: the server (server.cc) routes, the batcher runs.
//
// Request  {"id"?, "parameters"?: {"binary_data_output"?: bool},
//           "inputs": [{"name", "shape", "datatype", "parameters"?: {"binary_data_size"?}, "data"?}],
//           "outputs"?: [{"name", "parameters"?: {"classification"?: K, "binary_data"?: bool}}]}
// With the binary extension the HTTP body is that JSON followed by the raw input tensors in input order;
// the header Inference-Header-Content-Length gives the JSON's length, and each binary input says its size in
// "binary_data_size". JSON data may be flat or nested (row-major either way).
//
// Inputs the server takes (one model input, float32 [batch, ...] in the models here):
//  - the model input's datatype (FP32 ...) with shape [n, <the model's other dims>];
//  - BYTES with shape [n] or [n, 1]: n encoded images (JPEG/PNG), preprocessed with the model's preset
//    into [n, ...]. In binary form each element is a 4-byte little-endian length and the bytes; in JSON
//    each element is a base64 string.
// Classification (output parameter "classification": K): the output comes back as BYTES [n, K], element
// "<value>:<index>[:<label>]" of the K largest values of each row, largest first (ties: lower index first),
// <value> being the raw output value.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "image/preprocess.h"
#include "inr/session.h"
#include "inr/status.h"
#include "inr/tensor.h"

namespace inr::serving {

// OIP datatype names <-> DType ("FP32" <-> kF32, ...). kUndefined / "" when there is none.
std::string_view oip_datatype(DType t);
DType dtype_from_oip(std::string_view name);

struct InferInput {
  std::string name;
  std::string datatype;
  Shape shape;
  nlohmann::json data;     // JSON data (null when binary)
  std::string_view binary;  // the raw bytes (binary extension), a view into the request body
  bool is_binary = false;
};

struct RequestedOutput {
  std::string name;
  int64_t classification = 0;  // K; 0: the tensor itself
  bool binary = false;
};

struct InferRequest {
  std::string id;
  bool has_id = false;
  std::vector<InferInput> inputs;
  std::vector<RequestedOutput> outputs;  // empty: every output
  bool binary_output = false;            // parameters.binary_data_output
};

// `body` must outlive the result (binary inputs view it). `json_length`: the Inference-Header-Content-Length
// header, when present. Errors are the 400 message.
Result<InferRequest> parse_infer_request(std::string_view body, std::optional<size_t> json_length);

// What the server knows of a model to check inputs and write outputs.
struct ModelSignature {
  IoInfo input;
  std::vector<IoInfo> outputs;
  int max_batch = 1;
  const std::vector<std::string>* labels = nullptr;  // class names for classification, may be null
  // Whether BYTES images can be turned into the input (the preset's output fits it), and why not.
  bool images = false;
  std::string images_why;
};

// The request's input as the model's input tensor [n, ...]: checks name, datatype, shape and data size
// against the model (errors are the 400 message); BYTES images go through `pre`.
Result<Tensor> input_tensor(const InferRequest& request, const ModelSignature& model, image::Preprocessor& pre);

// Checks the requested outputs against the model (names, classification K > 0) before anything runs.
Status check_outputs(const InferRequest& request, const ModelSignature& model);

struct EncodedResponse {
  std::string body;
  std::optional<size_t> json_length;  // set when binary tensors follow the JSON
};

// The inference response for `outputs` (the model's outputs, in model order, for this request's rows).
EncodedResponse encode_infer_response(const InferRequest& request, const ModelSignature& model,
                                      const std::string& model_name, const std::string& model_version,
                                      std::span<const Tensor> outputs);

// base64 (RFC 4648, with padding) -> bytes; error on anything else.
Result<std::string> base64_decode(std::string_view text);

}  // namespace inr::serving
