// Every op case on every backend against the reference kernel (DESIGN.md: "the equivalence test runs every
// case on every backend against the reference automatically"). Each backend runs the case's one-node graph
// through inr::Session (opt_level 0, so the node itself runs, unfused) and must match run_reference_node
// within the case's tolerance (backends: reference, onednn). A backend that did not take the node is skipped with the reason, never
// counted as a pass.
#include <gtest/gtest.h>

#include <regex>
#include <tuple>

#include "inr/session.h"
#include "op_case.h"

namespace inr::test {
namespace {


// Nodes the placement summary ("onednn: 1 nodes, reference: 0") gives to `backend`.
int nodes_on(const std::string& summary, const std::string& backend) {
  std::smatch m;
  std::regex re(backend + R"(:\s*(\d+))");
  return std::regex_search(summary, m, re) ? std::stoi(m[1]) : 0;
}

class EquivalenceTest : public ::testing::TestWithParam<std::tuple<size_t, std::string>> {};

TEST_P(EquivalenceTest, MatchesReferenceKernel) {
  const OpCase& c = all_cases()[std::get<0>(GetParam())];
  const std::string& backend = std::get<1>(GetParam());
  auto want = run_reference(c);
  ASSERT_TRUE(want.is_ok()) << want.status().message();

  std::vector<Tensor> inputs = case_inputs(c);
  SessionOptions options;
  options.backend = backend;
  options.opt_level = 0;
  auto session = Session::create(build_graph(c, inputs), options);
  ASSERT_TRUE(session.is_ok()) << session.status().message();
  std::vector<Tensor> feed = runtime_inputs(c, inputs);
  std::vector<Shape> shapes;
  for (const Tensor& t : feed) shapes.push_back(t.shape());
  auto summary = (*session)->placement_summary(shapes);
  ASSERT_TRUE(summary.is_ok()) << summary.status().message();
  if (nodes_on(*summary, backend) == 0) {
    // Either another backend took it, or no node is left to run: every output was computed at infer time
    // (Constant, Shape, all-constant shape arithmetic), which reference_test.cc checks.
    GTEST_SKIP() << backend << " did not take the node (placement: " << *summary << ")";
  }

  auto got = (*session)->run(feed);
  ASSERT_TRUE(got.is_ok()) << got.status().message();
  ASSERT_EQ(got->size(), want->size());
  for (size_t i = 0; i < want->size(); ++i) {
    std::string diff = compare_tensors((*want)[i], (*got)[i], c.rtol, c.atol);
    EXPECT_TRUE(diff.empty()) << backend << " output " << i << ": " << diff;
  }
}

std::vector<size_t> indices() {
  std::vector<size_t> v(all_cases().size());
  for (size_t i = 0; i < v.size(); ++i) v[i] = i;
  return v;
}

INSTANTIATE_TEST_SUITE_P(Backends, EquivalenceTest,
                         ::testing::Combine(::testing::ValuesIn(indices()), ::testing::Values(std::string("reference"), std::string("onednn"))),
                         [](const ::testing::TestParamInfo<std::tuple<size_t, std::string>>& info) {
                           return all_cases()[std::get<0>(info.param)].name + "__" + std::get<1>(info.param);
                         });

}  // namespace
}  // namespace inr::test
