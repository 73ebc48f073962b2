// The serve layer below HTTP: the dynamic batcher (batches up to max_batch within max_delay, hands each
// request its own rows, drains on stop) and the OIP message code (binary splitting, base64, classification
// strings). The HTTP side is tested end to end by tests/serve (label serve).
#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <vector>

#include "inr/session.h"
#include "ir/graph.h"
#include "serve/batcher.h"
#include "serve/oip.h"

namespace inr::serving {
namespace {

std::unique_ptr<Session> relu_session() {
  auto g = std::make_unique<Graph>();
  Value* x = g->add_input("x", DType::kF32, {-1, 3});
  Value* y = g->add_value("y");
  g->add_node("relu", "Relu", "", {x}, {y});
  g->outputs.push_back(y);
  auto s = Session::create(std::move(g));
  EXPECT_TRUE(s.is_ok()) << s.status().message();
  return std::move(*s);
}

Tensor rows(std::initializer_list<float> v) {
  return Tensor::from_vector<float>(DType::kF32, {static_cast<int64_t>(v.size() / 3), 3}, std::vector<float>(v));
}

TEST(Batcher, QueuedRequestsRunAsOneBatchAndGetTheirOwnRows) {
  auto s = relu_session();
  std::mutex mu;
  std::vector<int64_t> batches;
  BatcherOptions o;
  o.max_batch = 4;
  o.max_delay = std::chrono::seconds(5);  // the batch fills (4 rows) long before the delay
  Batcher b(*s, o, [&](int64_t n, double) {
    std::lock_guard lock(mu);
    batches.push_back(n);
  });
  std::vector<std::vector<float>> got(3);
  std::atomic<int> done{0};
  auto collect = [&](int i) {
    return [&, i](Result<std::vector<Tensor>> out) {
      ASSERT_TRUE(out.is_ok()) << out.status().message();
      auto sp = (*out)[0].span<float>();
      got[static_cast<size_t>(i)].assign(sp.begin(), sp.end());
      ++done;
    };
  };
  ASSERT_TRUE(b.submit(rows({-1, 2, -3}), collect(0)));
  ASSERT_TRUE(b.submit(rows({4, -5, 6, -7, 8, -9}), collect(1)));  // a request of 2 rows
  ASSERT_TRUE(b.submit(rows({10, 11, -12}), collect(2)));
  b.stop();
  EXPECT_EQ(done.load(), 3);
  EXPECT_EQ(batches, std::vector<int64_t>({4}));
  EXPECT_EQ(got[0], std::vector<float>({0, 2, 0}));
  EXPECT_EQ(got[1], std::vector<float>({4, 0, 6, 0, 8, 0}));
  EXPECT_EQ(got[2], std::vector<float>({10, 11, 0}));
}

TEST(Batcher, BatchesNeverExceedMaxBatchAndZeroDelayRunsAtOnce) {
  auto s = relu_session();
  std::vector<int64_t> batches;
  std::mutex mu;
  BatcherOptions o;
  o.max_batch = 2;
  Batcher b(*s, o, [&](int64_t n, double) {
    std::lock_guard lock(mu);
    batches.push_back(n);
  });
  std::atomic<int> done{0};
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(b.submit(rows({1, 2, 3}), [&](Result<std::vector<Tensor>> out) { done += out.is_ok(); }));
  EXPECT_FALSE(b.submit(rows({1, 2, 3, 4, 5, 6, 7, 8, 9}), [](Result<std::vector<Tensor>>) { FAIL(); }));  // 3 rows > 2
  b.stop();  // drains the queue
  EXPECT_EQ(done.load(), 5);
  int64_t total = 0;
  for (int64_t n : batches) {
    EXPECT_LE(n, 2);
    total += n;
  }
  EXPECT_EQ(total, 5);
  EXPECT_FALSE(b.submit(rows({1, 2, 3}), [](Result<std::vector<Tensor>>) { FAIL(); }));  // stopped
}

TEST(Oip, Base64) {
  EXPECT_EQ(base64_decode("aGVsbG8=").value(), "hello");
  EXPECT_EQ(base64_decode("aGk=").value(), "hi");
  EXPECT_EQ(base64_decode("").value(), "");
  EXPECT_FALSE(base64_decode("aGVsbG8").is_ok());   // length
  EXPECT_FALSE(base64_decode("aGV!bG8=").is_ok());  // character
  EXPECT_FALSE(base64_decode("a=Vs").is_ok());      // padding inside
}

TEST(Oip, BinaryInputsAreSplitInOrderAndTruncationIsAnError) {
  const std::string header =
      R"({"inputs":[{"name":"a","datatype":"UINT8","shape":[2],"parameters":{"binary_data_size":2}},)"
      R"({"name":"b","datatype":"UINT8","shape":[3],"parameters":{"binary_data_size":3}}]})";
  const std::string body = header + "xyABC";
  auto r = parse_infer_request(body, header.size());
  ASSERT_TRUE(r.is_ok()) << r.status().message();
  EXPECT_EQ(r->inputs[0].binary, "xy");
  EXPECT_EQ(r->inputs[1].binary, "ABC");
  auto truncated = parse_infer_request(header + "xyAB", header.size());
  ASSERT_FALSE(truncated.is_ok());
  EXPECT_NE(truncated.status().message().find("input 'b': binary_data_size is 3 but only 2 bytes"), std::string::npos);
  EXPECT_FALSE(parse_infer_request(header + "xyABCD", header.size()).is_ok());  // a byte too many
  EXPECT_FALSE(parse_infer_request(header, std::nullopt).is_ok());              // sizes without the header length
}

TEST(Oip, ClassificationStringsAreValueIndexLabelLargestFirst) {
  InferRequest req;
  req.outputs.push_back(RequestedOutput{"p", 2, false});
  ModelSignature m;
  m.outputs.push_back(IoInfo{"p", DType::kF32, {-1, 3}, {}});
  std::vector<std::string> labels = {"zero", "one", "two"};
  m.labels = &labels;
  Tensor out = Tensor::from_vector<float>(DType::kF32, {2, 3}, std::vector<float>{0.5f, 2.f, 0.5f, 1.f, 1.f, 3.f});
  EncodedResponse e = encode_infer_response(req, m, "net", "1", std::span<const Tensor>(&out, 1));
  auto j = nlohmann::json::parse(e.body);
  EXPECT_EQ(j["outputs"][0]["datatype"], "BYTES");
  EXPECT_EQ(j["outputs"][0]["shape"], nlohmann::json({2, 2}));
  // Row 0: 2 at 1, then the tie 0.5 at 0 and 2 (lower index first); row 1: 3 at 2, then 1 at 0.
  EXPECT_EQ(j["outputs"][0]["data"],
            nlohmann::json({"2.000000:1:one", "0.500000:0:zero", "3.000000:2:two", "1.000000:0:zero"}));
  EXPECT_FALSE(e.json_length.has_value());
}

}  // namespace
}  // namespace inr::serving
