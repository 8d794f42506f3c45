// Direct Conv3D row kernels, written once with GCC vector extensions and compiled per
// ISA. The including file defines VOXCONV_VW (floats per vector), VOXCONV_OC_MR (output
// positions per tile of the oc family), VOXCONV_ACC (accumulator budget) and
// VOXCONV_ISA_NAMESPACE / VOXCONV_ISA_NAME. Needs -ffp-contract=fast so a*b+c is an FMA.
//
// Every output element is summed in one fixed order, (kd, kh) row, kw, input channel,
// whatever tile it falls in, so results do not depend on how rows are scheduled.
#include <algorithm>
#include <cstring>

#include "engine/kernels/direct_kernels.hpp"

namespace voxconv::engine::kernels::VOXCONV_ISA_NAMESPACE {

namespace {

constexpr int kVW = VOXCONV_VW;
typedef float vec __attribute__((vector_size(kVW * sizeof(float))));

inline vec load(const float* p) {
  vec v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
inline void store(float* p, vec v) { std::memcpy(p, &v, sizeof v); }
inline vec splat(float x) { return vec{} + x; }

// ---- output-channel-vectorized family ----------------------------------------------

template <int MR, int NV>
void oc_tile(const OcRowArgs& a, int64_t ow0, int64_t block) {
  constexpr int NB = NV * kVW;
  vec acc[MR][NV];
  for (int v = 0; v < NV; ++v) {
    const vec b = load(a.bias + block * NB + v * kVW);
    for (int m = 0; m < MR; ++m) acc[m][v] = b;
  }
  const int64_t icg = a.icg, kw = a.kw;
  const int64_t step = a.sw * a.in_ic;
  const float* wblock = a.packed + block * a.taps_dh * kw * icg * NB;
  for (int64_t t = 0; t < a.taps_dh; ++t) {
    const float* row = a.rows[t];
    if (row == nullptr) continue;
    for (int64_t k = 0; k < kw; ++k) {
      const float* x = row + (ow0 * a.sw + k * a.dw) * a.in_ic + a.ic_offset;
      const float* w = wblock + (t * kw + k) * icg * NB;
      for (int64_t c = 0; c < icg; ++c) {
        vec wv[NV];
        for (int v = 0; v < NV; ++v) wv[v] = load(w + c * NB + v * kVW);
        for (int m = 0; m < MR; ++m) {
          const vec xb = splat(x[m * step + c]);
          for (int v = 0; v < NV; ++v) acc[m][v] += xb * wv[v];
        }
      }
    }
  }
  float* out = a.out + ow0 * a.out_stride + block * NB;
  const int64_t valid = block == a.blocks - 1 ? a.valid_last : NB;
  for (int m = 0; m < MR; ++m) {
    float lanes[NB];
    for (int v = 0; v < NV; ++v) store(lanes + v * kVW, acc[m][v]);
    if (a.relu)
      for (int i = 0; i < NB; ++i) lanes[i] = lanes[i] > 0.0f ? lanes[i] : 0.0f;
    std::memcpy(out + m * a.out_stride, lanes, static_cast<size_t>(valid) * sizeof(float));
  }
}

template <int NV, int MR>
void oc_tail(const OcRowArgs& a, int64_t ow0, int64_t block, int64_t count) {
  if constexpr (MR > 0) {
    if (count == MR) return oc_tile<MR, NV>(a, ow0, block);
    oc_tail<NV, MR - 1>(a, ow0, block, count);
  }
}

template <int NV>
void oc_row_nv(const OcRowArgs& a) {
  constexpr int MR = VOXCONV_ACC / NV < 28 ? VOXCONV_ACC / NV : 28;
  for (int64_t block = 0; block < a.blocks; ++block) {
    int64_t ow0 = 0;
    for (; ow0 + MR <= a.ow; ow0 += MR) oc_tile<MR, NV>(a, ow0, block);
    if (ow0 < a.ow) oc_tail<NV, MR - 1>(a, ow0, block, a.ow - ow0);
  }
}

constexpr int kOcNv = VOXCONV_OC_NV;

void oc_row(const OcRowArgs& a) { oc_row_nv<kOcNv>(a); }

// ---- width-vectorized family (small channel counts) --------------------------------

constexpr int w_nv(int ocb) { return std::min(4, VOXCONV_ACC / ocb); }
constexpr int kMaxOcb = VOXCONV_ACC / 2;

template <int OCB>
void w_tile(const WRowArgs& a, int64_t ow0) {
  constexpr int NWV = w_nv(OCB);
  vec acc[OCB][NWV];
  for (int o = 0; o < OCB; ++o) {
    const vec b = splat(a.bias ? a.bias[a.oc_begin + o] : 0.0f);
    for (int n = 0; n < NWV; ++n) acc[o][n] = b;
  }
  const int64_t icg = a.icg, kw = a.kw, ocg = a.ocg;
  for (int64_t t = 0; t < a.taps_dh; ++t) {
    const float* row = a.rows[t];
    if (row == nullptr) continue;
    for (int64_t k = 0; k < kw; ++k) {
      const int64_t off = k * a.dw;
      const float* base = row + ((off % a.sw) * a.in_ic + a.ic_offset) * a.phase_len + ow0 + off / a.sw;
      const float* w = a.weights + (t * kw + k) * icg * ocg + a.oc_begin;
      for (int64_t c = 0; c < icg; ++c) {
        vec xs[NWV];
        for (int n = 0; n < NWV; ++n) xs[n] = load(base + c * a.phase_len + n * kVW);
        for (int o = 0; o < OCB; ++o) {
          const vec wb = splat(w[c * ocg + o]);
          for (int n = 0; n < NWV; ++n) acc[o][n] += wb * xs[n];
        }
      }
    }
  }
  const int64_t valid = std::min<int64_t>(NWV * kVW, a.ow - ow0);
  float lanes[OCB][NWV * kVW];
  for (int o = 0; o < OCB; ++o)
    for (int n = 0; n < NWV; ++n) store(lanes[o] + n * kVW, acc[o][n]);
  float* out = a.out + ow0 * a.out_stride + a.oc_begin;
  for (int64_t i = 0; i < valid; ++i)
    for (int o = 0; o < OCB; ++o) {
      const float r = lanes[o][i];
      out[i * a.out_stride + o] = a.relu && r < 0.0f ? 0.0f : r;
    }
}

template <int OCB>
void w_row_ocb(const WRowArgs& a) {
  constexpr int64_t tile = w_nv(OCB) * kVW;
  for (int64_t ow0 = 0; ow0 < a.ow; ow0 += tile) w_tile<OCB>(a, ow0);
}

template <int OCB>
void w_dispatch(const WRowArgs& a) {
  if constexpr (OCB > 0) {
    if (a.oc_count == OCB) return w_row_ocb<OCB>(a);
    w_dispatch<OCB - 1>(a);
  }
}

void w_row(const WRowArgs& a) { w_dispatch<kMaxOcb>(a); }

}  // namespace

const KernelTable& table() {
  static const KernelTable t{VOXCONV_ISA_NAME, kVW, kOcNv, kMaxOcb, w_nv(1), &oc_row, &w_row};
  return t;
}

}  // namespace voxconv::engine::kernels::VOXCONV_ISA_NAMESPACE
