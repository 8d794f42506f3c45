// The width-vectorized family for one ISA (see kernel_simd.inl), for small channel counts:
// vectors of output columns x a few output channels, from planar rows split by W phase;
// and its 1-D Winograd rows along W. Each output sums tap rows, then kw, then channels.
#include "engine/kernels/kernel_simd.inl"

namespace voxconv::engine::kernels::VOXCONV_ISA {

namespace {

// Adds taps k_first .. k_end - 1 of every tap row to acc, for the NWV vectors of columns
// from x0 of each run.
template <int OCB, int NWV>
inline void w_sums(const WRowArgs& a, vec (&acc)[OCB][NWV], int64_t x0, int64_t k_first, int64_t k_end) {
  const int64_t icg = a.icg, kw = a.kw, ocg = a.ocg;
  for (int64_t t = 0; t < a.taps_dh; ++t) {
    if (a.prefetch_l2) a.prefetch_l2->issue();
    const float* row = a.rows[t];
    if (row == nullptr) continue;
    for (int64_t k = k_first; k < k_end; ++k) {
      const float* base = row + a.kw_offsets[k] + x0;
      const float* w = a.weights + (t * kw + k) * icg * ocg + a.oc_begin;
      // Two channels per pass, as in the oc family (i +2-3%, h unchanged).
      #pragma GCC unroll 2
      for (int64_t c = 0; c < icg; ++c) {
        vec xs[NWV];
        #pragma GCC unroll 32
        for (int n = 0; n < NWV; ++n) xs[n] = load(base + c * a.phase_len + n * kVW);
        #pragma GCC unroll 32
        for (int o = 0; o < OCB; ++o) {
          const vec wb = splat(w[c * ocg + o]);
          #pragma GCC unroll 32
          for (int n = 0; n < NWV; ++n) acc[o][n] += wb * xs[n];
        }
      }
    }
  }
}

template <int OCB, int NWV>
inline void w_init(vec (&acc)[OCB][NWV], const WRowArgs& a, bool with_bias) {
  #pragma GCC unroll 32
  for (int o = 0; o < OCB; ++o) {
    const vec b = splat(with_bias && a.bias ? a.bias[a.oc_begin + o] : 0.0f);
    #pragma GCC unroll 32
    for (int n = 0; n < NWV; ++n) acc[o][n] = b;
  }
}

// One output column of the Winograd rows to out (relu if asked), from lane i of each
// channel's lanes (the direct rows' columns are stored in w_tile's own loop: through this
// helper GCC built each column in a vector register first, and h ran 10% slower; the
// Winograd rows' kernel runs the same either way).
template <int OCB, int LANES>
inline void w_store_column(const WRowArgs& a, const float (&lanes)[OCB][LANES], int64_t i, float* out) {
  #pragma GCC unroll 32
  for (int o = 0; o < OCB; ++o) {
    const float r = lanes[o][i];
    out[o] = a.relu && r < 0.0f ? 0.0f : r;
  }
}

// Direct sums: NWV vectors of output columns from ow0.
template <int OCB, int NWV>
void w_tile(const WRowArgs& a, int64_t ow0) {
  vec acc[OCB][NWV];
  w_init<OCB, NWV>(acc, a, true);
  w_sums<OCB, NWV>(a, acc, ow0, 0, a.kw);
  const int64_t valid = std::min<int64_t>(NWV * kVW, a.ow - ow0);
  float lanes[OCB][NWV * kVW];
  #pragma GCC unroll 32
  for (int o = 0; o < OCB; ++o)
    #pragma GCC unroll 32
    for (int n = 0; n < NWV; ++n) store(lanes[o] + n * kVW, acc[o][n]);
  float* out = a.out + ow0 * a.out_stride + a.oc_begin;
  for (int64_t i = 0; i < valid; ++i)
    #pragma GCC unroll 32
    for (int o = 0; o < OCB; ++o) {
      const float r = lanes[o][i];
      out[i * a.out_stride + o] = a.relu && r < 0.0f ? 0.0f : r;
    }
}

// 1-D Winograd F(2, 3) along W (kw 3, stride 1 along W; Lavin & Gray 2016, as in
// winograd_family.cpp): tile t pairs the outputs w0 = wino_w_first_output(t) and w0 + dw,
// whose inputs d0..d3 lie at w0 - pw + {0, 1, 2, 3} dw. Rows hold U = B^T d, made once per
// input row by w_wino_convert_row: row[(j * IC + c) * phase_len + t], so that the four U_j
// are the four "taps" of a tap row (kw_offsets[j]) and meet the transformed weights G g
// ([tap row * 4 + j][icg][ocg]). Per pass j, m_j = sum over tap rows and channels; then
// y0 = m0 + m1 + m2 and y1 = m1 - m2 - m3, the bias starting m1 (which both take once):
// 2 x 9 x 4 products per pair of outputs and channel pair on a 3x3x3 kernel instead of
// 2 x 27. Vectors run over NWV * kVW consecutive tiles from t0.
template <int OCB, int NWV>
void w_wino_tile(const WRowArgs& a, int64_t t0) {
  vec m[3][OCB][NWV];  // m0, m1, m2 (the last pass's m3 stays in registers)
  vec acc[OCB][NWV];
  for (int j = 0; j < 4; ++j) {
    w_init<OCB, NWV>(acc, a, j == 1);
    w_sums<OCB, NWV>(a, acc, t0, j, j + 1);
    if (j < 3) std::memcpy(m[j], acc, sizeof acc);
  }
  float lanes0[OCB][NWV * kVW], lanes1[OCB][NWV * kVW];
  #pragma GCC unroll 32
  for (int o = 0; o < OCB; ++o)
    #pragma GCC unroll 32
    for (int n = 0; n < NWV; ++n) {
      store(lanes0[o] + n * kVW, m[0][o][n] + m[1][o][n] + m[2][o][n]);
      store(lanes1[o] + n * kVW, m[1][o][n] - m[2][o][n] - acc[o][n]);
    }
  const int64_t dw = a.wino_dw;
  int64_t group = wino_w_first_output(t0, dw) - t0 % dw, r = t0 % dw;  // w0 = group + r
  float* out = a.out + a.oc_begin;
  for (int64_t i = 0; i < NWV * kVW; ++i) {
    const int64_t w0 = group + r;
    if (w0 >= a.ow) break;  // tiles past the last (w0 grows with t)
    w_store_column<OCB>(a, lanes0, i, out + w0 * a.out_stride);
    if (w0 + dw < a.ow) w_store_column<OCB>(a, lanes1, i, out + (w0 + dw) * a.out_stride);
    if (++r == dw) r = 0, group += 2 * dw;
  }
}

// A tile of NWV vectors from x0 (output columns, or Winograd tiles).
template <int OCB, int NWV, bool WINO>
inline void w_any_tile(const WRowArgs& a, int64_t x0) {
  if constexpr (WINO) w_wino_tile<OCB, NWV>(a, x0);
  else w_tile<OCB, NWV>(a, x0);
}

// The row's last, narrower tile: NWV vectors for the `rest` columns left.
template <int OCB, int NWV, bool WINO>
void w_tail_tile(const WRowArgs& a, int64_t x0, int64_t rest) {
  if constexpr (NWV > 1)
    if ((NWV - 1) * kVW >= rest) return w_tail_tile<OCB, NWV - 1, WINO>(a, x0, rest);
  w_any_tile<OCB, NWV, WINO>(a, x0);
}

template <int OCB, bool WINO>
void w_row_ocb(const WRowArgs& a) {
  constexpr int NWV = w_nv(OCB);
  const int64_t extent = WINO ? a.phase_len : a.ow;  // tiles in whole vectors (wino_w_run_len), or columns
  int64_t x0 = 0;
  for (; x0 + NWV * kVW <= extent; x0 += NWV * kVW) w_any_tile<OCB, NWV, WINO>(a, x0);
  if (x0 < extent) w_tail_tile<OCB, NWV, WINO>(a, x0, extent - x0);
}

template <int OCB, bool WINO>
void w_dispatch(const WRowArgs& a) {
  if constexpr (OCB > 0) {
    if (a.oc_count == OCB) return w_row_ocb<OCB, WINO>(a);
    w_dispatch<OCB - 1, WINO>(a);
  }
}

void w_row(const WRowArgs& a) { w_dispatch<kMaxOcb, false>(a); }
void w_wino_row(const WRowArgs& a) { w_dispatch<kMaxOcb, true>(a); }

// Vectors of input columns j, j + 1, ... of one channel, `stride` floats apart, gathered
// (measured on 5 channels: the scalar de-interleave had cost a quarter of the kernel's time).
inline vec gather_columns(const float* x, int64_t stride) {
#if VOXCONV_VW == 16
  const __m512i index = _mm512_mullo_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
                                           _mm512_set1_epi32(static_cast<int>(stride)));
  // The masked form: GCC 12 warns that the plain one reads an uninitialized register.
  const __m512 v = _mm512_mask_i32gather_ps(_mm512_setzero_ps(), 0xFFFF, index, x, sizeof(float));
  return reinterpret_cast<const vec&>(v);
#elif VOXCONV_VW == 8
  const __m256i index =
      _mm256_mullo_epi32(_mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7), _mm256_set1_epi32(static_cast<int>(stride)));
  const __m256 v = _mm256_mask_i32gather_ps(_mm256_setzero_ps(), x, index, _mm256_castsi256_ps(_mm256_set1_epi32(-1)),
                                            sizeof(float));
  return reinterpret_cast<const vec&>(v);
#else
  vec v;
  for (int i = 0; i < kVW; ++i) v[i] = x[i * stride];
  return v;
#endif
}

void w_convert_row(const float* in_row, int64_t iw, int64_t ic, int64_t sw, int64_t pw, int64_t phase_len,
                   bool gather, float* buf) {
  const int64_t stride = sw * ic;  // floats between the columns of one phase
  // Gather indices are 32-bit.
  gather = gather && kVW >= 8 && stride * (kVW - 1) <= static_cast<int64_t>(INT32_MAX);
  for (int64_t phase = 0; phase < sw; ++phase) {
    // Columns j in [lo, hi) hold input; the rest are padding.
    const int64_t first = pw > phase ? (pw - phase + sw - 1) / sw : 0;
    const int64_t last = iw - 1 + pw - phase;  // the largest j * sw with W in range
    const int64_t lo = std::min(first, phase_len);
    const int64_t hi = std::max(lo, std::min(phase_len, last < 0 ? 0 : last / sw + 1));
    const float* x = in_row + (lo * sw + phase - pw) * ic;  // column lo, channel 0
    for (int64_t c = 0; c < ic; ++c) {
      float* run = buf + (phase * ic + c) * phase_len;
      std::fill(run, run + lo, 0.0f);
      int64_t j = lo;
      if (gather)
        for (; j + kVW <= hi; j += kVW) store(run + j, gather_columns(x + (j - lo) * stride + c, stride));
      for (; j < hi; ++j) run[j] = x[(j - lo) * stride + c];
      std::fill(run + hi, run + phase_len, 0.0f);
    }
  }
}

// U = B^T d of w_wino_tile's tiles, from the row made planar and padded first (`planar`:
// wino_w_planar_len floats per channel), a vector of tiles at a time where
// wino_w_vector_conversion holds, else tile by tile.
void w_wino_convert_row(const float* in_row, int64_t iw, int64_t ic, int64_t pw, int64_t dw, int64_t run_len,
                        bool gather, float* planar, float* buf) {
  const int64_t pl = wino_w_planar_len(kVW, run_len, dw);
  w_convert_row(in_row, iw, ic, 1, pw, pl, gather, planar);
  const int64_t js = ic * run_len;  // floats between U_j and U_j+1
  for (int64_t c = 0; c < ic; ++c) {
    const float* p = planar + c * pl;
    float* u = buf + c * run_len;
    const auto store_runs = [&](int64_t t0, vec u0, vec u1, vec u2, vec u3) {
      store(u + t0, u0);
      store(u + js + t0, u1);
      store(u + 2 * js + t0, u2);
      store(u + 3 * js + t0, u3);
    };
    if (!wino_w_transform_vectors(p, dw, run_len, store_runs))
      for (int64_t t = 0; t < run_len; ++t) {
        const float* x = p + wino_w_first_output(t, dw);
        wino_w_store_u(u + t, js, x[0], x[dw], x[2 * dw], x[3 * dw]);
      }
  }
}

}  // namespace

void add_w_family(KernelTable& t) {
  t.max_oc_block = kMaxOcb;
  t.w_nv = w_nv(1);
  t.w_row = &w_row;
  t.w_convert_row = &w_convert_row;
  t.w_wino_row = &w_wino_row;
  t.w_wino_convert_row = &w_wino_convert_row;
}

}  // namespace voxconv::engine::kernels::VOXCONV_ISA
