// Every op case's reference output against the case's independent check (hand-computed values or a
// naive formula), within the case's own tolerance.
#include <gtest/gtest.h>

#include <set>

#include "op_case.h"

namespace inr::test {
namespace {

class ReferenceTest : public ::testing::TestWithParam<size_t> {};

TEST_P(ReferenceTest, MatchesIndependentCheck) {
  const OpCase& c = all_cases()[GetParam()];
  ASSERT_TRUE(!c.expected.empty() || c.oracle) << c.name << " has no independent check (expected or oracle)";
  auto out = run_reference(c);
  ASSERT_TRUE(out.is_ok()) << out.status().message();
  std::vector<Tensor> want = c.expected.empty() ? c.oracle(case_inputs(c)) : c.expected;
  ASSERT_EQ(want.size(), out->size());
  for (size_t i = 0; i < want.size(); ++i) {
    if (!want[i].defined() && !(*out)[i].defined()) continue;
    std::string diff = compare_tensors(want[i], (*out)[i], c.rtol, c.atol);
    EXPECT_TRUE(diff.empty()) << "output " << i << ": " << diff;
  }
}

std::vector<size_t> indices() {
  std::vector<size_t> v(all_cases().size());
  for (size_t i = 0; i < v.size(); ++i) v[i] = i;
  return v;
}

INSTANTIATE_TEST_SUITE_P(Ops, ReferenceTest, ::testing::ValuesIn(indices()),
                         [](const ::testing::TestParamInfo<size_t>& info) { return all_cases()[info.param].name; });

TEST(OpCases, NamesAreUniqueAndEveryListedOpHasCases) {
  std::set<std::string> names, ops;
  for (const OpCase& c : all_cases()) {
    EXPECT_TRUE(names.insert(c.name).second) << "duplicate case name " << c.name;
    ops.insert(c.op_type);
  }
#define INR_OP(name, domain, file) EXPECT_TRUE(ops.count(#name)) << "no op case for " #name;
#include "ir/op_list.def"
#undef INR_OP
}

}  // namespace
}  // namespace inr::test
