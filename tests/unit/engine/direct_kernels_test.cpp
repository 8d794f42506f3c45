// The kernel builds' pieces that are not whole convolutions: the w family's row
// conversions (direct and 1-D Winograd) and the L2 prefetch queue (the convolutions are in conv3d_fast_test.cpp).
#include "engine/kernels/direct_kernels.hpp"

#include <gtest/gtest.h>

#include <vector>

#include "engine/conv3d_fast.hpp"

namespace voxconv::engine {
namespace {

// w_convert_row against its definition, for every build this CPU runs, with gathers and
// scalar loads: runs that start or end inside a vector, rows shorter than one, padding
// wider than the row, one to 17 channels (the gathers' stride), strides up to the Winograd
// family's phase period 8.
TEST(WConvertRow, WritesEveryPhaseChannelAndColumnOfItsDefinition) {
  for (const auto* isa : available_kernel_tables())
  for (const bool gather : {true, false}) {
    for (int64_t ic : {1, 2, 5, 11, 16, 17})
      for (int64_t sw : {1, 2, 3, 8})
        for (int64_t pw : {0, 1, 4, 40})
          for (int64_t iw : {1, 7, 16, 33, 70}) {
            // At least the columns the row covers, plus a few past it (padding after).
            const int64_t phase_len = (iw + pw) / sw + 1 + (iw % 3) * 5;
            std::vector<float> in(static_cast<size_t>(iw * ic));
            for (size_t i = 0; i < in.size(); ++i) in[i] = static_cast<float>(i + 1);
            std::vector<float> buf(static_cast<size_t>(sw * ic * phase_len), -1.0f);
            isa->w_convert_row(in.data(), iw, ic, sw, pw, phase_len, gather, buf.data());
            int64_t wrong = 0;
            for (int64_t phase = 0; phase < sw; ++phase)
              for (int64_t c = 0; c < ic; ++c)
                for (int64_t j = 0; j < phase_len; ++j) {
                  const int64_t w = j * sw + phase - pw;
                  const float want = w >= 0 && w < iw ? in[static_cast<size_t>(w * ic + c)] : 0.0f;
                  wrong += buf[static_cast<size_t>((phase * ic + c) * phase_len + j)] != want;
                }
            EXPECT_EQ(wrong, 0) << isa->isa << " gather " << gather << " ic " << ic << " sw " << sw << " pw " << pw
                                << " iw " << iw;
          }
  }
}

// w_wino_convert_row against its definition, for every build this CPU runs: U = B^T d of
// every tile t (outputs wino_w_first_output(t) and that + dw), with d_j the padded input at
// that output + j * dw - pw, for dilations with a vector path (dividing a vector, or a
// multiple of one) and without, rows shorter than a vector, padding wider than the row.
TEST(WWinoConvertRow, WritesTheTransformedInputsOfEveryTileOfItsDefinition) {
  for (const auto* isa : available_kernel_tables())
  for (const bool gather : {true, false}) {
    for (int64_t ic : {1, 3, 5, 11, 17})
      for (int64_t dw : {1, 2, 3, 4, 5, 8, 16, 32})
        for (int64_t pw : {0, 1, 4, 40})
          for (int64_t iw : {1, 7, 16, 33, 70}) {
            const int64_t ow = iw + 2 * pw - 2 * dw;  // the 'same'-like width this padding gives
            if (ow < 1) continue;
            const int64_t run_len = kernels::wino_w_run_len(*isa, ow, dw);
            std::vector<float> in(static_cast<size_t>(iw * ic));
            for (size_t i = 0; i < in.size(); ++i) in[i] = static_cast<float>(i % 97) - 40.0f;
            const int64_t planar_len = kernels::wino_w_planar_len(isa->vector_width, run_len, dw);
            std::vector<float> planar(static_cast<size_t>(ic * planar_len));
            std::vector<float> buf(static_cast<size_t>(4 * ic * run_len), -1.0f);
            isa->w_wino_convert_row(in.data(), iw, ic, pw, dw, run_len, gather, planar.data(), buf.data());
            int64_t wrong = 0;
            for (int64_t c = 0; c < ic; ++c)
              for (int64_t t = 0; t < run_len; ++t) {
                float d[4];
                for (int64_t j = 0; j < 4; ++j) {
                  const int64_t w = kernels::wino_w_first_output(t, dw) + j * dw - pw;
                  d[j] = w >= 0 && w < iw ? in[static_cast<size_t>(w * ic + c)] : 0.0f;
                }
                const float want[4] = {d[0] - d[2], d[1] + d[2], d[2] - d[1], d[1] - d[3]};
                for (int64_t j = 0; j < 4; ++j)
                  wrong += buf[static_cast<size_t>((j * ic + c) * run_len + t)] != want[j];
              }
            EXPECT_EQ(wrong, 0) << isa->isa << " ic " << ic << " dw " << dw << " pw " << pw << " iw " << iw;
          }
  }
}

// The L2 prefetch queue walks every line of its rows once, in order, per_issue lines per
// call, and then stays put (the kernels call it more often than it has lines).
TEST(L2PrefetchQueue, IssuesEachLineOfEachRowOnce) {
  std::vector<char> a(5 * 64), b(5 * 64), c(5 * 64);
  kernels::L2PrefetchQueue q;
  q.rows[0] = a.data(), q.rows[1] = b.data(), q.rows[2] = c.data();
  q.count = 3;
  q.row_lines = 5;
  q.per_issue = 4;
  q.issue(), q.issue(), q.issue();  // 12 of 15 lines
  EXPECT_EQ(q.row, 2);
  EXPECT_EQ(q.line, 2);
  q.issue();
  EXPECT_EQ(q.row, 3);
  EXPECT_EQ(q.line, 0);
  q.issue();
  EXPECT_EQ(q.row, 3);
  EXPECT_EQ(q.line, 0);
}

}  // namespace
}  // namespace voxconv::engine
