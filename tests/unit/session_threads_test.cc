// SessionOptions::threads holds on every thread that runs the session, not only the one that created it:
// OpenMP's thread count is a per-thread setting, and a Python thread or a server worker calling run() would
// otherwise get the process default (all cores).
#include <gtest/gtest.h>

#include <omp.h>

#include <thread>

#include "inr/session.h"
#include "ir/graph.h"

namespace inr {
namespace {

TEST(SessionThreads, RunOnAnotherThreadUsesTheSessionsThreadCount) {
  auto g = std::make_unique<Graph>();
  Value* x = g->add_input("x", DType::kF32, {4});
  Value* y = g->add_value("y");
  g->add_node("relu", "Relu", "", {x}, {y});
  g->outputs.push_back(y);
  SessionOptions o;
  o.threads = 1;
  auto s = Session::create(std::move(g), o);
  ASSERT_TRUE(s.is_ok()) << s.status().message();

  int before = 0, during = 0;
  std::thread worker([&] {
    omp_set_num_threads(2);  // the worker's own setting, as a fresh thread in a 2-core process would have
    before = omp_get_max_threads();
    Tensor in = Tensor::from_vector<float>(DType::kF32, {4}, {-1.f, 2.f, -3.f, 4.f});
    auto out = (*s)->run(std::span<const Tensor>(&in, 1));
    ASSERT_TRUE(out.is_ok()) << out.status().message();
    EXPECT_EQ((*out)[0].span<float>()[1], 2.f);
    during = omp_get_max_threads();  // what the run's parallel regions used
  });
  worker.join();
  EXPECT_EQ(before, 2);
  EXPECT_EQ(during, 1);
}

}  // namespace
}  // namespace inr
