// Winograd F(2x2x2, 3x3x3) kernels for one ISA (see kernel_simd.inl), for 3x3x3 stride-1
// layers on small channel counts, where a direct kernel cannot fill its vectors with
// channels (i and j of the issue).
//
// One dimension at a time (Lavin & Gray, "Fast Algorithms for Convolutional Neural
// Networks", 2016): two outputs y0, y1 of a 3-tap filter g over inputs d0..d3 are
//   y = A^T [(G g) . (B^T d)],  B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1],
//   G = [1 0 0; 1/2 1/2 1/2; 1/2 -1/2 1/2; 0 0 1],  A^T = [1 1 1 0; 0 1 -1 -1].
// In 3-D a tile of 2x2x2 outputs takes 64 products per (input, output) channel pair
// instead of 216: 3.4x fewer multiplications. Under dilation the taps of an output are
// dilation apart, so a tile pairs outputs dilation apart (same residue class) and its
// inputs d_j lie at o - pad + j * dilation.
//
// Vectors run over 16 tiles of one W residue class rw: lane t holds the tile of outputs
// rw + dw * (2t + {0, 1}). Rows are converted with W phases of period 2 * dw, so that
// d0 = run[rw][t], d1 = run[rw + dw][t], d2 = run[rw][t + 1], d3 = run[rw + dw][t + 1]:
// four plain loads. Each output is computed by one fixed sequence of operations, whatever
// the thread or the slab; y0 never reads d3 and y1 never reads d0 (in float arithmetic
// too), which lets slabs leave out planes only the other output of a tile needs.
#include "engine/kernels/kernel_simd.inl"

namespace voxconv::engine::kernels::VOXCONV_ISA {

namespace {

// 4 x 4 x 4 transformed positions in (dz, hy, wx) order, computed one column wx (16
// positions) at a time: inputs, products and the D and H output transforms of a column
// stay in L1 (all 64 at once took 188 KB on 11 channels), and the W output transform
// accumulates the columns in order.
constexpr int kColumnPositions = 16;

// B^T d for input row k = wx of the transform: two of the four loads.
template <int WX>
inline vec input_column(const float* row, int64_t at_r, int64_t at_s) {
  if constexpr (WX == 0) return load(row + at_r) - load(row + at_r + 1);
  if constexpr (WX == 1) return load(row + at_s) + load(row + at_r + 1);
  if constexpr (WX == 2) return load(row + at_r + 1) - load(row + at_s);
  return load(row + at_s) - load(row + at_s + 1);
}

// The same B^T along an axis of four values in registers.
inline void input_transform4(vec& a0, vec& a1, vec& a2, vec& a3) {
  const vec b0 = a0 - a2, b1 = a1 + a2, b2 = a2 - a1, b3 = a1 - a3;
  a0 = b0, a1 = b1, a2 = b2, a3 = b3;
}

// v[(p * ic + c) * nt + n], p = dz * 4 + hy: the transformed inputs of column WX for
// tile vectors n of this pass.
template <int WX>
void wino_input_column(const WinoRowArgs& a, int64_t rw, int64_t t0, vec* v) {
  const int64_t pl = a.phase_len, ic = a.ic, nt = a.nt;
  for (int64_t c = 0; c < ic; ++c)
    for (int64_t n = 0; n < nt; ++n) {
      const int64_t at_r = (rw * ic + c) * pl + t0 + n * kVW, at_s = ((rw + a.dw) * ic + c) * pl + t0 + n * kVW;
      vec x[4][4];  // [dz][hy]
      #pragma GCC unroll 4
      for (int dz = 0; dz < 4; ++dz)
        #pragma GCC unroll 4
        for (int hy = 0; hy < 4; ++hy) x[dz][hy] = input_column<WX>(a.rows[dz * 4 + hy], at_r, at_s);
      #pragma GCC unroll 4
      for (int dz = 0; dz < 4; ++dz) input_transform4(x[dz][0], x[dz][1], x[dz][2], x[dz][3]);
      #pragma GCC unroll 4
      for (int hy = 0; hy < 4; ++hy) input_transform4(x[0][hy], x[1][hy], x[2][hy], x[3][hy]);
      #pragma GCC unroll 4
      for (int dz = 0; dz < 4; ++dz)
        #pragma GCC unroll 4
        for (int hy = 0; hy < 4; ++hy) v[((dz * 4 + hy) * ic + c) * nt + n] = x[dz][hy];
    }
}

// The products of column wx: m[(p * OCB + o) * NT + n] = sum over c of
// u[p * 4 + wx][c][oc_begin + o] * v[p][c][n].
template <int OCB, int NT>
void wino_products(const WinoRowArgs& a, int64_t wx, int64_t oc_begin, const vec* v, vec* m) {
  const int64_t ic = a.ic, oc = a.oc;
  for (int p = 0; p < kColumnPositions; ++p) {
    if (a.prefetch_l2) a.prefetch_l2->issue();
    const float* u = a.u + (p * 4 + wx) * ic * oc + oc_begin;
    const vec* vp = v + p * ic * NT;
    vec acc[OCB][NT];
    #pragma GCC unroll 32
    for (int o = 0; o < OCB; ++o)
      #pragma GCC unroll 4
      for (int n = 0; n < NT; ++n) acc[o][n] = splat(0.0f);
    for (int64_t c = 0; c < ic; ++c) {
      vec xs[NT];
      #pragma GCC unroll 4
      for (int n = 0; n < NT; ++n) xs[n] = vp[c * NT + n];
      #pragma GCC unroll 32
      for (int o = 0; o < OCB; ++o) {
        const vec wb = splat(u[c * oc + o]);
        #pragma GCC unroll 4
        for (int n = 0; n < NT; ++n) acc[o][n] += wb * xs[n];
      }
    }
    #pragma GCC unroll 32
    for (int o = 0; o < OCB; ++o)
      #pragma GCC unroll 4
      for (int n = 0; n < NT; ++n) m[(p * OCB + o) * NT + n] = acc[o][n];
  }
}

template <int OCB>
void wino_products_dispatch(const WinoRowArgs& a, int64_t wx, int64_t oc_begin, int64_t count, const vec* v, vec* m) {
  if constexpr (OCB > 0) {
    if (count != OCB) return wino_products_dispatch<OCB - 1>(a, wx, oc_begin, count, v, m);
    switch (a.nt) {
      case 1: return wino_products<OCB, 1>(a, wx, oc_begin, v, m);
      case 2: if constexpr (w_nv(OCB) >= 2) return wino_products<OCB, 2>(a, wx, oc_begin, v, m); break;
      case 3: if constexpr (w_nv(OCB) >= 3) return wino_products<OCB, 3>(a, wx, oc_begin, v, m); break;
      case 4: if constexpr (w_nv(OCB) >= 4) return wino_products<OCB, 4>(a, wx, oc_begin, v, m); break;
      default: break;
    }
  }
}

// A^T along an axis: the first (Z = 0) or second output of four values.
template <int Z>
inline vec output_transform(vec m0, vec m1, vec m2, vec m3) {
  if constexpr (Z == 0) return m0 + m1 + m2;
  return m1 - m2 - m3;
}

// A^T along D, then H, of the products of column WX; along W the columns accumulate into
// y[((o * nt + n) * 4 + zd * 2 + zh) * 2 + zw] in the order of output_transform:
// y0 = (c0 + c1) + c2, y1 = (c1 - c2) - c3.
template <int WX>
void wino_output_column(const WinoRowArgs& a, int64_t count, const vec* m, vec* y) {
  const int64_t nt = a.nt;
  for (int64_t o = 0; o < count; ++o)
    for (int64_t n = 0; n < nt; ++n) {
      const auto at = [&](int dz, int hy) { return m[((dz * 4 + hy) * count + o) * nt + n]; };
      vec e[2][4];  // [zd][hy]
      #pragma GCC unroll 4
      for (int hy = 0; hy < 4; ++hy) {
        e[0][hy] = output_transform<0>(at(0, hy), at(1, hy), at(2, hy), at(3, hy));
        e[1][hy] = output_transform<1>(at(0, hy), at(1, hy), at(2, hy), at(3, hy));
      }
      vec* yt = y + (o * nt + n) * 8;
      #pragma GCC unroll 2
      for (int zd = 0; zd < 2; ++zd) {
        const vec c[2] = {output_transform<0>(e[zd][0], e[zd][1], e[zd][2], e[zd][3]),
                          output_transform<1>(e[zd][0], e[zd][1], e[zd][2], e[zd][3])};
        #pragma GCC unroll 2
        for (int zh = 0; zh < 2; ++zh) {
          vec* yz = yt + (zd * 2 + zh) * 2;
          if constexpr (WX == 0) yz[0] = c[zh];
          if constexpr (WX == 1) yz[0] = yz[0] + c[zh], yz[1] = c[zh];
          if constexpr (WX == 2) yz[0] = yz[0] + c[zh], yz[1] = yz[1] - c[zh];
          if constexpr (WX == 3) yz[1] = yz[1] - c[zh];
        }
      }
    }
}

#if VOXCONV_VW == 16 || VOXCONV_VW == 8
// A chunk's channels fit one vector: its outputs at one W are one masked store.
constexpr bool kTransposedStores = kMaxOcb <= kVW;

// Lanes I of the concatenation of a and b (GCC 12 and clang both have
// __builtin_shufflevector; GCC's AVX-512 intrinsics for these warn -Wmaybe-uninitialized).
template <int... I>
inline vec shuffle(vec a, vec b, std::integer_sequence<int, I...>) {
  return __builtin_shufflevector(a, b, I...);
}

// r[i] = lane i of the vectors r[0 .. kVW-1]: a transpose in rounds of two-source shuffles.
inline void transpose(vec (&r)[kVW]) {
#if VOXCONV_VW == 16
  // Round 1, rows a, b: a0 b0 a1 b1 | a4 b4 a5 b5 | ... and a2 b2 a3 b3 | a6 b6 a7 b7 | ...
  using PairLo = std::integer_sequence<int, 0, 16, 1, 17, 4, 20, 5, 21, 8, 24, 9, 25, 12, 28, 13, 29>;
  using PairHi = std::integer_sequence<int, 2, 18, 3, 19, 6, 22, 7, 23, 10, 26, 11, 27, 14, 30, 15, 31>;
  // Round 2: pairs of floats, the same way.
  using QuadLo = std::integer_sequence<int, 0, 1, 16, 17, 4, 5, 20, 21, 8, 9, 24, 25, 12, 13, 28, 29>;
  using QuadHi = std::integer_sequence<int, 2, 3, 18, 19, 6, 7, 22, 23, 10, 11, 26, 27, 14, 15, 30, 31>;
  // Rounds 3 and 4: 128-bit quarters (x0 x1 y0 y1, x2 x3 y2 y3; then x0 x2 y0 y2, x1 x3 y1 y3).
  using HalvesLo = std::integer_sequence<int, 0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23>;
  using HalvesHi = std::integer_sequence<int, 8, 9, 10, 11, 12, 13, 14, 15, 24, 25, 26, 27, 28, 29, 30, 31>;
  using Even = std::integer_sequence<int, 0, 1, 2, 3, 8, 9, 10, 11, 16, 17, 18, 19, 24, 25, 26, 27>;
  using Odd = std::integer_sequence<int, 4, 5, 6, 7, 12, 13, 14, 15, 20, 21, 22, 23, 28, 29, 30, 31>;
#else
  using PairLo = std::integer_sequence<int, 0, 8, 1, 9, 4, 12, 5, 13>;
  using PairHi = std::integer_sequence<int, 2, 10, 3, 11, 6, 14, 7, 15>;
  using QuadLo = std::integer_sequence<int, 0, 1, 8, 9, 4, 5, 12, 13>;
  using QuadHi = std::integer_sequence<int, 2, 3, 10, 11, 6, 7, 14, 15>;
  using Even = std::integer_sequence<int, 0, 1, 2, 3, 8, 9, 10, 11>;  // 128-bit halves
  using Odd = std::integer_sequence<int, 4, 5, 6, 7, 12, 13, 14, 15>;
#endif
  constexpr int kGroups = kVW / 4;  // groups of four rows
  vec t[kVW], u[kVW];
  for (int k = 0; k < kVW / 2; ++k) {
    t[2 * k] = shuffle(r[2 * k], r[2 * k + 1], PairLo{});
    t[2 * k + 1] = shuffle(r[2 * k], r[2 * k + 1], PairHi{});
  }
  for (int g = 0; g < kGroups; ++g) {  // u[4g + j], 128-bit part L: elements 4L + j of rows 4g .. 4g + 3
    u[4 * g] = shuffle(t[4 * g], t[4 * g + 2], QuadLo{});
    u[4 * g + 1] = shuffle(t[4 * g], t[4 * g + 2], QuadHi{});
    u[4 * g + 2] = shuffle(t[4 * g + 1], t[4 * g + 3], QuadLo{});
    u[4 * g + 3] = shuffle(t[4 * g + 1], t[4 * g + 3], QuadHi{});
  }
  for (int j = 0; j < 4; ++j) {
#if VOXCONV_VW == 16
    const vec a0 = shuffle(u[j], u[4 + j], HalvesLo{}), a1 = shuffle(u[j], u[4 + j], HalvesHi{});
    const vec b0 = shuffle(u[8 + j], u[12 + j], HalvesLo{}), b1 = shuffle(u[8 + j], u[12 + j], HalvesHi{});
    r[j] = shuffle(a0, b0, Even{});
    r[4 + j] = shuffle(a0, b0, Odd{});
    r[8 + j] = shuffle(a1, b1, Even{});
    r[12 + j] = shuffle(a1, b1, Odd{});
#else
    r[j] = shuffle(u[j], u[4 + j], Even{});
    r[4 + j] = shuffle(u[j], u[4 + j], Odd{});
#endif
  }
}

#endif

// Bias, relu and the scattered stores of the finished outputs of this pass.
void wino_store(const WinoRowArgs& a, int64_t rw, int64_t t0, int64_t oc_begin, int64_t count, const vec* y) {
  const auto output = [&](int64_t o, int64_t n, int zdh, int zw) {
    vec r = y[((o * a.nt + n) * 4 + zdh) * 2 + zw] + splat(a.bias ? a.bias[oc_begin + o] : 0.0f);
    return a.relu ? (r < vec{} ? vec{} : r) : r;
  };
#if VOXCONV_VW == 16 || VOXCONV_VW == 8
  const ChannelStore store_channels(count);
#endif
  for (int64_t n = 0; n < a.nt; ++n) {
    // Lane i of tile vector n holds outputs W = rw + dw * (2t + zw), t = t0 + n * kVW + i:
    // 2 * dw columns apart, `valid` of them inside the row.
    const int64_t t_first = t0 + n * kVW, step = 2 * a.dw * a.out_stride;
    for (int zw = 0; zw < 2; ++zw) {
      const int64_t w0 = rw + a.dw * (2 * t_first + zw);
      const int64_t valid = w0 >= a.ow ? 0 : std::min<int64_t>(kVW, (a.ow - 1 - w0) / (2 * a.dw) + 1);
      for (int zdh = 0; zdh < 4 && valid > 0; ++zdh) {
        float* out = a.out[zdh];
        if (out == nullptr) continue;
        float* p = out + w0 * a.out_stride + oc_begin;
#if VOXCONV_VW == 16 || VOXCONV_VW == 8
        if constexpr (kTransposedStores) {
          // The chunk's channel vectors transposed: each W's channels are then one masked
          // store (one scalar store per output took a sixth of j's time: j +6-13%).
          vec r[kVW];
          for (int64_t o = 0; o < kVW; ++o) r[o] = o < count ? output(o, n, zdh, zw) : vec{};
          transpose(r);
          for (int64_t i = 0; i < valid; ++i) store_channels(p + i * step, r[i]);
          continue;
        }
#endif
        for (int64_t o = 0; o < count; ++o) {
          float lanes[kVW];
          store(lanes, output(o, n, zdh, zw));
          for (int64_t i = 0; i < valid; ++i) p[i * step + o] = lanes[i];
        }
      }
    }
  }
}

template <int WX>
void wino_column(const WinoRowArgs& a, int64_t rw, int64_t t0, vec* v, vec* m, vec* y) {
  wino_input_column<WX>(a, rw, t0, v);
  for_each_balanced_chunk(a.oc, a.oc_chunks, [&](int64_t begin, int64_t count) {
    wino_products_dispatch<kMaxOcb>(a, WX, begin, count, v, m);
    wino_output_column<WX>(a, count, m, y + begin * a.nt * 8);
  });
}

void wino_row(const WinoRowArgs& a) {
  vec* v = reinterpret_cast<vec*>(a.scratch);
  vec* m = v + kColumnPositions * a.ic * a.nt;
  vec* y = m + kColumnPositions * kMaxOcb * a.nt;
  const int64_t tiles_per_pass = a.nt * kVW;
  for (int64_t rw = 0; rw < a.dw && rw < a.ow; ++rw) {
    const int64_t outputs = (a.ow - rw + a.dw - 1) / a.dw, tiles = (outputs + 1) / 2;
    for (int64_t t0 = 0; t0 < tiles; t0 += tiles_per_pass) {
      wino_column<0>(a, rw, t0, v, m, y);
      wino_column<1>(a, rw, t0, v, m, y);
      wino_column<2>(a, rw, t0, v, m, y);
      wino_column<3>(a, rw, t0, v, m, y);
      for_each_balanced_chunk(a.oc, a.oc_chunks, [&](int64_t begin, int64_t count) {
        wino_store(a, rw, t0, begin, count, y + begin * a.nt * 8);
      });
    }
  }
}

}  // namespace

void add_winograd_family(KernelTable& t) { t.wino_row = &wino_row; }

}  // namespace voxconv::engine::kernels::VOXCONV_ISA
