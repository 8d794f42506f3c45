#include "network/tensor_ops.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "core/error.hpp"
#include "engine/thread_pool.hpp"

namespace voxconv::network {

namespace {

constexpr int64_t kChunk = int64_t{1} << 16;  // elements per task of element-wise work

// Runs fn(begin, end) over [0, n) in fixed chunks.
template <typename Fn>
void for_chunks(int64_t n, ThreadPool& pool, Fn fn) {
  const int64_t tasks = (n + kChunk - 1) / kChunk;
  pool.parallel_for(tasks, [&](int64_t t) { fn(t * kChunk, std::min(n, (t + 1) * kChunk)); });
}

void require_rank5(const Tensor& t, const char* what) {
  if (t.rank() != 5) throw Error(ErrorKind::internal, std::string(what) + ": expected an NDHWC tensor, got " + dims_to_string(t.dims()));
}

// Copies the spatial window of `src` starting at `src_start` into `dst` at `dst_start`,
// `extent` voxels per axis, all channels; one task per (n, d) slice of the window.
void copy_window(const Tensor& src, Tensor& dst, const std::array<int64_t, 3>& src_start,
                 const std::array<int64_t, 3>& dst_start, const std::array<int64_t, 3>& extent, ThreadPool& pool) {
  const int64_t N = src.dim(0), C = src.dim(4);
  const Dims& s = src.dims();
  const Dims& d = dst.dims();
  const auto row_bytes = static_cast<size_t>(extent[2] * C) * sizeof(float);
  pool.parallel_for(N * extent[0], [&](int64_t task) {
    const int64_t n = task / extent[0], z = task % extent[0];
    for (int64_t y = 0; y < extent[1]; ++y) {
      const float* from = src.data() + ((((n * s[1]) + src_start[0] + z) * s[2] + src_start[1] + y) * s[3] + src_start[2]) * C;
      float* to = dst.data() + ((((n * d[1]) + dst_start[0] + z) * d[2] + dst_start[1] + y) * d[3] + dst_start[2]) * C;
      std::memcpy(to, from, row_bytes);
    }
  });
}

}  // namespace

Tensor zero_pad(const Tensor& src, const SpatialPads& pads, ThreadPool& pool) {
  require_rank5(src, "zero_pad");
  Dims out = src.dims();
  for (size_t a = 0; a < 3; ++a) {
    if (pads[a][0] < 0 || pads[a][1] < 0) throw Error(ErrorKind::shape, "padding must be >= 0");
    out[a + 1] += pads[a][0] + pads[a][1];
  }
  checked_element_count(out, "padded tensor");
  Tensor dst(out);  // zero-filled
  copy_window(src, dst, {0, 0, 0}, {pads[0][0], pads[1][0], pads[2][0]}, {src.dim(1), src.dim(2), src.dim(3)}, pool);
  return dst;
}

Tensor crop(const Tensor& src, const SpatialPads& crops, ThreadPool& pool) {
  require_rank5(src, "crop");
  Dims out = src.dims();
  for (size_t a = 0; a < 3; ++a) {
    if (crops[a][0] < 0 || crops[a][1] < 0) throw Error(ErrorKind::shape, "cropping must be >= 0");
    out[a + 1] -= crops[a][0] + crops[a][1];
    if (out[a + 1] < 1)
      throw Error(ErrorKind::shape, "cropping (" + std::to_string(crops[a][0]) + ", " + std::to_string(crops[a][1]) +
                                        ") leaves nothing of a spatial size of " + std::to_string(src.dim(a + 1)));
  }
  Tensor dst(out);
  copy_window(src, dst, {crops[0][0], crops[1][0], crops[2][0]}, {0, 0, 0}, {out[1], out[2], out[3]}, pool);
  return dst;
}

void scale_shift_channels(Tensor& t, const std::vector<float>& scale, const std::vector<float>& shift, ThreadPool& pool) {
  require_rank5(t, "scale_shift_channels");
  const int64_t C = t.dim(4);
  if (static_cast<int64_t>(scale.size()) != C || static_cast<int64_t>(shift.size()) != C)
    throw Error(ErrorKind::shape, "per-channel parameters of length " + std::to_string(scale.size()) + " for " +
                                      std::to_string(C) + " channels");
  float* data = t.data();
  const int64_t voxels = t.size() / C;
  for_chunks(voxels, pool, [&](int64_t begin, int64_t end) {
    for (int64_t v = begin; v < end; ++v)
      for (int64_t c = 0; c < C; ++c) data[v * C + c] = data[v * C + c] * scale[static_cast<size_t>(c)] + shift[static_cast<size_t>(c)];
  });
}

void relu(Tensor& t, float negative_slope, float threshold, std::optional<float> max_value, ThreadPool& pool) {
  float* data = t.data();
  if (negative_slope != 0.0f && !max_value && threshold == 0.0f) {
    for_chunks(t.size(), pool, [&](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; ++i) data[i] = data[i] > 0.0f ? data[i] : negative_slope * data[i];
    });
    return;
  }
  // The general form, step by step as Keras' relu writes it.
  for_chunks(t.size(), pool, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      const float x = data[i];
      const float negative_part = std::max(threshold - x, 0.0f);
      float y = threshold != 0.0f ? (x > threshold ? x : 0.0f) : std::max(x, 0.0f);
      if (max_value) y = std::min(std::max(y, 0.0f), *max_value);
      if (negative_slope != 0.0f) y -= negative_slope * negative_part;
      data[i] = y;
    }
  });
}

void elu(Tensor& t, float alpha, ThreadPool& pool) {
  float* data = t.data();
  for_chunks(t.size(), pool, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) data[i] = data[i] > 0.0f ? data[i] : alpha * std::expm1(data[i]);
  });
}

void prelu(Tensor& t, const Tensor& alpha, ThreadPool& pool) {
  require_rank5(t, "prelu");
  require_rank5(alpha, "prelu alpha");
  std::array<int64_t, 5> stride{};  // alpha element stride per tensor axis; 0 where alpha is broadcast
  int64_t s = 1;
  for (size_t a = 5; a-- > 0;) {
    const int64_t ad = alpha.dim(a);
    if (ad != 1 && ad != t.dim(a))
      throw Error(ErrorKind::shape, "PReLU alpha of shape " + dims_to_string(alpha.dims()) + " does not broadcast to " +
                                        dims_to_string(t.dims()));
    stride[a] = ad == 1 ? 0 : s;
    s *= ad;
  }
  const int64_t D = t.dim(1), H = t.dim(2), W = t.dim(3), C = t.dim(4);
  float* data = t.data();
  const float* a = alpha.data();
  pool.parallel_for(t.dim(0) * D, [&](int64_t task) {
    const int64_t n = task / D, d = task % D;
    for (int64_t h = 0; h < H; ++h)
      for (int64_t w = 0; w < W; ++w) {
        float* x = data + (((n * D + d) * H + h) * W + w) * C;
        const float* row = a + n * stride[0] + d * stride[1] + h * stride[2] + w * stride[3];
        for (int64_t c = 0; c < C; ++c)
          if (x[c] <= 0.0f) x[c] *= row[c * stride[4]];
      }
  });
}

void add_into(Tensor& acc, const Tensor& other, ThreadPool& pool) {
  if (acc.dims() != other.dims())
    throw Error(ErrorKind::shape, "cannot add tensors of shapes " + dims_to_string(acc.dims()) + " and " +
                                      dims_to_string(other.dims()));
  float* a = acc.data();
  const float* b = other.data();
  for_chunks(acc.size(), pool, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) a[i] += b[i];
  });
}

Tensor concat_channels(const std::vector<const Tensor*>& parts, ThreadPool& pool) {
  if (parts.empty()) throw Error(ErrorKind::internal, "concat_channels: no inputs");
  Dims out = parts.front()->dims();
  out[4] = 0;
  for (const Tensor* p : parts) {
    require_rank5(*p, "concat_channels");
    for (size_t a = 0; a < 4; ++a)
      if (p->dim(a) != out[a])
        throw Error(ErrorKind::shape, "cannot concatenate tensors of shapes " + dims_to_string(parts.front()->dims()) +
                                          " and " + dims_to_string(p->dims()) + " along the channels");
    out[4] += p->dim(4);
  }
  Tensor dst(out);
  const int64_t voxels = dst.size() / out[4];
  const int64_t C = out[4];
  for_chunks(voxels, pool, [&](int64_t begin, int64_t end) {
    int64_t offset = 0;
    for (const Tensor* p : parts) {
      const int64_t c = p->dim(4);
      for (int64_t v = begin; v < end; ++v)
        std::memcpy(dst.data() + v * C + offset, p->data() + v * c, static_cast<size_t>(c) * sizeof(float));
      offset += c;
    }
  });
  return dst;
}

std::vector<uint16_t> argmax_channels(const Tensor& t, ThreadPool& pool) {
  require_rank5(t, "argmax_channels");
  const int64_t C = t.dim(4);
  if (C > 65536) throw Error(ErrorKind::shape, std::to_string(C) + " classes do not fit a uint16 label");
  const int64_t voxels = t.size() / C;
  std::vector<uint16_t> labels(static_cast<size_t>(voxels));
  const float* data = t.data();
  for_chunks(voxels, pool, [&](int64_t begin, int64_t end) {
    for (int64_t v = begin; v < end; ++v) {
      const float* x = data + v * C;
      int64_t best = 0;
      for (int64_t c = 1; c < C; ++c)
        if (x[c] > x[best]) best = c;
      labels[static_cast<size_t>(v)] = static_cast<uint16_t>(best);
    }
  });
  return labels;
}

void normalize_minmax(Tensor& t) {
  if (t.empty()) return;
  const auto [lo, hi] = std::minmax_element(t.values().begin(), t.values().end());
  const double min = *lo, range = static_cast<double>(*hi) - min;
  for (float& x : t.values()) x = range > 0 ? static_cast<float>((x - min) / range) : 0.0f;
}

void normalize_zscore(Tensor& t) {
  if (t.empty()) return;
  double sum = 0.0;
  for (float x : t.values()) sum += x;
  const double mean = sum / static_cast<double>(t.size());
  double squares = 0.0;
  for (float x : t.values()) squares += (x - mean) * (x - mean);
  const double std = std::sqrt(squares / static_cast<double>(t.size()));
  for (float& x : t.values()) x = std > 0 ? static_cast<float>((x - mean) / std) : 0.0f;
}

}  // namespace voxconv::network
