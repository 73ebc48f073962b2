// Golden cases of Gemmini's arithmetic (backends/systolic/arith.h), computed by hand from gemmini.h's
// definitions (research note section 5): round-half-even ties, saturation, ReLU / ReLU6, the residual add's
// per-term saturation and the global average's rounding of negative sums.
#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "backends/systolic/arith.h"

namespace inr::systolic {
namespace {

TEST(SystolicArith, RoundNearEvenTiesGoToEven) {
  EXPECT_EQ(round_near_even(0.5f), 0);
  EXPECT_EQ(round_near_even(1.5f), 2);
  EXPECT_EQ(round_near_even(2.5f), 2);
  EXPECT_EQ(round_near_even(3.5f), 4);
  EXPECT_EQ(round_near_even(-0.5f), 0);
  EXPECT_EQ(round_near_even(-2.5f), -2);
  EXPECT_EQ(round_near_even(-3.5f), -4);
  EXPECT_EQ(round_near_even(2.4f), 2);
  EXPECT_EQ(round_near_even(2.6f), 3);
  EXPECT_EQ(round_near_even(-2.6f), -3);
  EXPECT_EQ(round_near_even(8388609.f), 8388609);  // 2^23 + 1: no fraction bits
  EXPECT_EQ(round_near_even(1e10f), std::numeric_limits<int32_t>::max());
  EXPECT_EQ(round_near_even(-1e10f), std::numeric_limits<int32_t>::min());
  EXPECT_EQ(round_near_even(std::nanf("")), 0);
}

TEST(SystolicArith, RoundingRightShiftIsHalfToEven) {
  EXPECT_EQ(rounding_right_shift(5, 1), 2);    // 2.5
  EXPECT_EQ(rounding_right_shift(7, 1), 4);    // 3.5
  EXPECT_EQ(rounding_right_shift(-5, 1), -2);  // -2.5
  EXPECT_EQ(rounding_right_shift(-7, 1), -4);  // -3.5
  EXPECT_EQ(rounding_right_shift(6, 2), 2);    // 1.5
  EXPECT_EQ(rounding_right_shift(10, 2), 2);   // 2.5
  EXPECT_EQ(rounding_right_shift(9, 2), 2);    // 2.25
  EXPECT_EQ(rounding_right_shift(11, 2), 3);   // 2.75
  EXPECT_EQ(rounding_right_shift(-9, 2), -2);  // -2.25
  EXPECT_EQ(rounding_right_shift(-11, 2), -3); // -2.75
  EXPECT_EQ(rounding_right_shift(123, 0), 123);
}

TEST(SystolicArith, AccScaleRoundsThenSaturates) {
  EXPECT_EQ(acc_scale(5, 0.5f), 2);      // 2.5 -> 2
  EXPECT_EQ(acc_scale(7, 0.5f), 4);      // 3.5 -> 4
  EXPECT_EQ(acc_scale(-5, 0.5f), -2);    // -2.5 -> -2
  EXPECT_EQ(acc_scale(253, 0.5f), 126);  // 126.5 -> 126
  EXPECT_EQ(acc_scale(255, 0.5f), 127);  // 127.5 -> 128 -> saturates to 127
  EXPECT_EQ(acc_scale(-255, 0.5f), -128);  // -127.5 -> -128
  EXPECT_EQ(acc_scale(-257, 0.5f), -128);  // -128.5 -> -128 (tie to even, in range)
  EXPECT_EQ(acc_scale(-259, 0.5f), -128);  // -129.5 -> -130 -> saturates
  EXPECT_EQ(acc_scale(1000, 1.f), 127);
  EXPECT_EQ(acc_scale(-1000, 1.f), -128);
  EXPECT_EQ(acc_scale(std::numeric_limits<int32_t>::max(), 1.f), 127);
  EXPECT_EQ(acc_scale(std::numeric_limits<int32_t>::min(), 1.f), -128);
  // float(x) is an RNE conversion: 2^24 + 1 becomes 2^24, then * 2^-24 = 1 exactly (not 1.00000006 -> 1).
  EXPECT_EQ(acc_scale(16777217, 1.f / 16777216.f), 1);
  // 25165825 = 1.5 * 2^24 + 1 -> float 25165824 -> * 2^-24 = 1.5 -> 2.
  EXPECT_EQ(acc_scale(25165825, 1.f / 16777216.f), 2);
}

TEST(SystolicArith, ActivationsClampAfterTheInt8Clip) {
  Epilogue none{1.f, Activation::kNone, 127};
  Epilogue relu{1.f, Activation::kRelu, 127};
  Epilogue relu6{0.5f, Activation::kRelu6, 48};  // 6 << 3: the fork's relu6_shift = 3
  EXPECT_EQ(scale_and_activate(-5, none), -5);
  EXPECT_EQ(scale_and_activate(-5, relu), 0);
  EXPECT_EQ(scale_and_activate(300, relu), 127);
  EXPECT_EQ(scale_and_activate(95, relu6), 48);   // 47.5 -> 48 -> max 48
  EXPECT_EQ(scale_and_activate(93, relu6), 46);   // 46.5 -> 46
  EXPECT_EQ(scale_and_activate(1000, relu6), 48);
  EXPECT_EQ(scale_and_activate(-1000, relu6), 0);
}

TEST(SystolicArith, MvinScaleRoundsAndSaturates) {
  EXPECT_EQ(mvin_scale(3, 0.5f), 2);    // 1.5
  EXPECT_EQ(mvin_scale(1, 0.5f), 0);    // 0.5
  EXPECT_EQ(mvin_scale(-3, 0.5f), -2);  // -1.5
  EXPECT_EQ(mvin_scale(127, 2.f), 127);
  EXPECT_EQ(mvin_scale(-128, 2.f), -128);
}

TEST(SystolicArith, ResaddSaturatesEachTermBeforeTheSum) {
  // 100 * 2 saturates to 127 in the mvin scaler before -100 is added: 27, not 100.
  EXPECT_EQ(resadd(100, 2.f, -100, 1.f, false), 27);
  EXPECT_EQ(resadd(100, 1.f, 100, 1.f, false), 127);
  EXPECT_EQ(resadd(-100, 1.f, -100, 1.f, false), -128);
  // Each term rounds on its own: 5 * 0.5 = 2.5 -> 2 twice gives 4, where RNE(5 * 0.5 + 5 * 0.5) = 5.
  EXPECT_EQ(resadd(5, 0.5f, 5, 0.5f, false), 4);
  EXPECT_EQ(resadd(7, 0.5f, 5, 0.5f, false), 6);  // 3.5 -> 4, 2.5 -> 2
  EXPECT_EQ(resadd(-10, 1.f, 3, 1.f, true), 0);
  EXPECT_EQ(resadd(-10, 1.f, 3, 1.f, false), -7);
  // The scales are Sa / Sc in float32.
  EXPECT_EQ(resadd_scale(0.2f, 0.1f), 0.2f / 0.1f);
}

TEST(SystolicArith, GlobalAverageFollowsTheHardwareNotTheCpuReference) {
  const float s49 = global_average_scale(49, 0.25f, 0.25f);
  EXPECT_EQ(s49, static_cast<float>(1.0 / 49));
  // Negative sum: hardware RNE(-25/49 = -0.51) = -1; gemmini.h's CPU (sum + 24) / 49 = 0.
  EXPECT_EQ(global_average(-25, s49), -1);
  EXPECT_EQ(global_average_cpu(-25, 49), 0);
  const float s4 = global_average_scale(4, 1.f, 1.f);
  EXPECT_EQ(global_average(10, s4), 2);   // 2.5 -> 2 (CPU: 3)
  EXPECT_EQ(global_average_cpu(10, 4), 3);
  EXPECT_EQ(global_average(14, s4), 4);   // 3.5 -> 4
  EXPECT_EQ(global_average(-10, s4), -2); // -2.5 -> -2
  EXPECT_EQ(global_average(-14, s4), -4); // -3.5 -> -4 (CPU: (-14 + 2) / 4 = -3)
  EXPECT_EQ(global_average_cpu(-14, 4), -3);
  EXPECT_EQ(global_average(4 * 200, s4), 127);  // saturates
  // Different input and output scales fold into the one acc scale.
  EXPECT_EQ(global_average_scale(4, 0.5f, 0.25f), 0.5f);
}

TEST(SystolicArith, RowFormsEqualTheScalarForms) {
  std::mt19937 rng(11);
  std::uniform_int_distribution<int32_t> big(-400000, 400000);
  std::uniform_int_distribution<int> i8(-128, 127);
  const int n = 1003;
  std::vector<int32_t> acc(n);
  for (int32_t& v : acc) v = big(rng);
  acc[0] = std::numeric_limits<int32_t>::max();
  acc[1] = std::numeric_limits<int32_t>::min();
  acc[2] = 2 * 1000 + 1;  // a tie at scale 1/2000
  for (Epilogue e : {Epilogue{1.f / 2000, Activation::kNone, 127}, Epilogue{0.0007f, Activation::kRelu, 127},
                     Epilogue{0.001f, Activation::kRelu6, 77}}) {
    std::vector<int8_t> out(n);
    scale_and_activate_row(acc.data(), n, e, out.data());
    for (int i = 0; i < n; ++i) ASSERT_EQ(out[i], scale_and_activate(acc[i], e)) << i;
  }
  std::vector<int8_t> a(n), b(n), c(n);
  for (int i = 0; i < n; ++i) a[i] = static_cast<int8_t>(i8(rng)), b[i] = static_cast<int8_t>(i8(rng));
  for (bool relu : {false, true}) {
    resadd_row(a.data(), 1.5f, b.data(), 0.75f, relu, n, c.data());
    for (int i = 0; i < n; ++i) ASSERT_EQ(c[i], resadd(a[i], 1.5f, b[i], 0.75f, relu)) << i;
  }
}

// The channels-last epilogue (what -x 0 applies to oneDNN's accumulators) equals the scalar form on every
// element: with and without a second accumulator part and a bias (wrapping int32 sums), into channels-last
// rows and into NCHW planes, for row lengths that are and are not multiples of the vector width.
TEST(SystolicArith, ChannelsLastEpilogueEqualsTheScalarForm) {
  std::mt19937 rng(12);
  std::uniform_int_distribution<int32_t> big(-400000, 400000);
  for (int64_t channels : {1, 3, 16, 24, 37, 300}) {
    const int64_t rows = 133, plane = rows + 5;
    std::vector<int32_t> acc(static_cast<size_t>(rows * channels)), acc2(acc.size()), bias(static_cast<size_t>(channels));
    for (int32_t& v : acc) v = big(rng);
    for (int32_t& v : acc2) v = big(rng);
    for (int32_t& v : bias) v = big(rng) / 10;
    acc[0] = std::numeric_limits<int32_t>::max();  // + acc2 + bias wraps, as the accumulator does
    acc2[0] = 1000;
    acc[1 % acc.size()] = 2 * 1000 + 1;
    for (Epilogue e : {Epilogue{1.f / 2000, Activation::kNone, 127}, Epilogue{0.0007f, Activation::kRelu6, 77}})
      for (bool two : {false, true})
        for (bool with_bias : {false, true})
          for (int64_t out_plane : {int64_t{0}, plane}) {
            std::vector<int8_t> out(static_cast<size_t>(std::max(rows, plane) * channels), 99);
            scale_and_activate_channels_last(acc.data(), two ? acc2.data() : nullptr, with_bias ? bias.data() : nullptr,
                                             rows, channels, e, out.data(), out_plane);
            for (int64_t r = 0; r < rows; ++r)
              for (int64_t m = 0; m < channels; ++m) {
                const size_t i = static_cast<size_t>(r * channels + m);
                uint32_t sum = static_cast<uint32_t>(acc[i]) + (two ? static_cast<uint32_t>(acc2[i]) : 0u) +
                               (with_bias ? static_cast<uint32_t>(bias[static_cast<size_t>(m)]) : 0u);
                const int8_t want = scale_and_activate(static_cast<int32_t>(sum), e);
                const int64_t at = out_plane == 0 ? r * channels + m : m * out_plane + r;
                ASSERT_EQ(out[static_cast<size_t>(at)], want) << channels << " " << two << with_bias << out_plane << " " << r << " " << m;
              }
            if (out_plane != 0) {  // the gap between planes is left alone
              for (int64_t m = 0; m + 1 < channels; ++m) ASSERT_EQ(out[static_cast<size_t>(m * plane + rows)], 99);
            }
          }
  }
}

}  // namespace
}  // namespace inr::systolic
