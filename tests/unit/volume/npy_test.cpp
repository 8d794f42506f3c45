// .npy reading and writing. The valid fixtures under tests/data/npy/ come from numpy
// (tests/data/npy/make_npy_fixtures.py); their values follow formulas of the C-order
// flat index that are repeated here. Malformed files are written by the tests.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "test_paths.hpp"
#include "volume/volume_io.hpp"
#include "volume_test_util.hpp"

namespace voxconv::volume {
namespace {

using voxconv::testing::expect_error;
using voxconv::testing::TempDir;

std::string fixture(const std::string& name) { return (testing::source_dir() / "tests/data/npy" / name).string(); }

// The fixture formulas of make_npy_fixtures.py.
float expected_value(char kind, int size, int64_t i) {
  switch (kind) {
    case 'b':
      return i % 3 == 0 ? 1.0f : 0.0f;
    case 'i': {
      const int64_t scale = size == 1 ? 10 : size == 2 ? 1000 : size == 4 ? 100000 : 1000000000000;
      return static_cast<float>((i - 12) * scale);
    }
    case 'u': {
      const uint64_t scale = size == 1 ? 10u : size == 2 ? 2500u : size == 4 ? 150000000u : 500000000000000000u;
      return static_cast<float>(static_cast<uint64_t>(i) * scale);
    }
    default:
      return static_cast<float>(i - 12) * 0.25f;
  }
}

void expect_fixture_values(const Tensor& t, char kind, int size) {
  ASSERT_EQ(t.size(), 24);
  for (int64_t i = 0; i < 24; ++i) EXPECT_EQ(t.data()[i], expected_value(kind, size, i)) << "element " << i;
}

struct DtypeCase {
  const char* file;
  char kind;
  int size;
};

class NpyDtype : public ::testing::TestWithParam<DtypeCase> {};

TEST_P(NpyDtype, ReadsValuesAndShape) {
  const DtypeCase& c = GetParam();
  const Tensor t = read_npy(fixture(c.file));
  EXPECT_EQ(t.dims(), (Dims{2, 3, 4}));
  expect_fixture_values(t, c.kind, c.size);
}

INSTANTIATE_TEST_SUITE_P(
    AllDtypesBothOrders, NpyDtype,
    ::testing::Values(DtypeCase{"b1_na.npy", 'b', 1}, DtypeCase{"i1_na.npy", 'i', 1}, DtypeCase{"u1_na.npy", 'u', 1},
                      DtypeCase{"i2_le.npy", 'i', 2}, DtypeCase{"i2_be.npy", 'i', 2}, DtypeCase{"u2_le.npy", 'u', 2},
                      DtypeCase{"u2_be.npy", 'u', 2}, DtypeCase{"i4_le.npy", 'i', 4}, DtypeCase{"i4_be.npy", 'i', 4},
                      DtypeCase{"u4_le.npy", 'u', 4}, DtypeCase{"u4_be.npy", 'u', 4}, DtypeCase{"i8_le.npy", 'i', 8},
                      DtypeCase{"i8_be.npy", 'i', 8}, DtypeCase{"u8_le.npy", 'u', 8}, DtypeCase{"u8_be.npy", 'u', 8},
                      DtypeCase{"f2_le.npy", 'f', 2}, DtypeCase{"f2_be.npy", 'f', 2}, DtypeCase{"f4_le.npy", 'f', 4},
                      DtypeCase{"f4_be.npy", 'f', 4}, DtypeCase{"f8_le.npy", 'f', 8}, DtypeCase{"f8_be.npy", 'f', 8},
                      DtypeCase{"f4_le_v2.npy", 'f', 4}, DtypeCase{"f4_le_v3.npy", 'f', 4},
                      DtypeCase{"f4_eq_marker.npy", 'f', 4}, DtypeCase{"f4_pipe_marker.npy", 'f', 4},
                      DtypeCase{"f4_py2_long_shape.npy", 'f', 4}),
    [](const ::testing::TestParamInfo<DtypeCase>& param_info) {
      std::string name = param_info.param.file;
      name = name.substr(0, name.size() - 4);
      return name;
    });

TEST(Npy, FortranOrderIsTransposedToCOrder) {
  const Tensor f4 = read_npy(fixture("f4_le_fortran.npy"));
  EXPECT_EQ(f4.dims(), (Dims{2, 3, 4}));
  expect_fixture_values(f4, 'f', 4);
  const Tensor i2 = read_npy(fixture("i2_be_fortran.npy"));
  EXPECT_EQ(i2.dims(), (Dims{2, 3, 4}));
  expect_fixture_values(i2, 'i', 2);
}

TEST(Npy, OtherRanksAndEmptyArrays) {
  const Tensor one = read_npy(fixture("f4_le_shape_24.npy"));
  EXPECT_EQ(one.dims(), (Dims{24}));
  expect_fixture_values(one, 'f', 4);
  const Tensor five = read_npy(fixture("f4_le_shape_1x2x3x2x2.npy"));
  EXPECT_EQ(five.dims(), (Dims{1, 2, 3, 2, 2}));
  expect_fixture_values(five, 'f', 4);
  const Tensor empty = read_npy(fixture("f4_le_shape_0x3.npy"));
  EXPECT_EQ(empty.dims(), (Dims{0, 3}));
  EXPECT_EQ(empty.size(), 0);
}

TEST(Npy, Float16SpecialValues) {
  // float(numpy.float16(x)) for x in the fixture script, printed by python3 with repr().
  const FloatVector expected = {0.0f,
                                       -0.0f,
                                       5.960464477539063e-08f,
                                       1.0013580322265625e-05f,
                                       6.103515625e-05f,
                                       65504.0f,
                                       -2.5f,
                                       std::numeric_limits<float>::infinity(),
                                       -std::numeric_limits<float>::infinity()};
  for (const char* name : {"f2_le_specials.npy", "f2_be_specials.npy"}) {
    const Tensor t = read_npy(fixture(name));
    ASSERT_EQ(t.dims(), (Dims{9})) << name;
    for (size_t i = 0; i < expected.size(); ++i) {
      EXPECT_EQ(t.values()[i], expected[i]) << name << " element " << i;
      EXPECT_EQ(std::signbit(t.values()[i]), std::signbit(expected[i])) << name << " element " << i;
    }
  }
}

TEST(Npy, WriteMatchesNumpySaveByteForByte) {
  TempDir dir;
  FloatVector values(24);
  for (int64_t i = 0; i < 24; ++i) values[static_cast<size_t>(i)] = expected_value('f', 4, i);
  write_npy(dir.file("a.npy"), Tensor({2, 3, 4}, values));
  EXPECT_EQ(testing::read_bytes(dir.file("a.npy")), testing::read_bytes(fixture("numpy_save_f4_2x3x4.npy")));

  write_npy(dir.file("b.npy"), Tensor({7}, {0, 1, 2, 3, 4, 5, 6}));
  EXPECT_EQ(testing::read_bytes(dir.file("b.npy")), testing::read_bytes(fixture("numpy_save_f4_7.npy")));

  // An 11-digit first dimension shrinks numpy's spare header space.
  write_npy(dir.file("c.npy"), Tensor({12345678901, 0}));
  EXPECT_EQ(testing::read_bytes(dir.file("c.npy")), testing::read_bytes(fixture("numpy_save_f4_12345678901x0.npy")));
}

TEST(Npy, RoundTripsEveryRank) {
  TempDir dir;
  for (const Dims& dims : {Dims{5}, Dims{3, 4}, Dims{2, 3, 4}, Dims{2, 1, 3, 5}, Dims{1, 4, 5, 6, 3}}) {
    Tensor t(dims);
    for (int64_t i = 0; i < t.size(); ++i) t.data()[i] = std::sin(static_cast<float>(i)) * 1000.0f;
    const std::string path = dir.file("rt.npy");
    write_npy(path, t);
    const Tensor back = read_npy(path);
    EXPECT_EQ(back.dims(), dims);
    EXPECT_EQ(back.values(), t.values());
    // Data starts at a multiple of 64 bytes, as numpy aligns it.
    EXPECT_EQ((testing::read_bytes(path).size() - static_cast<size_t>(t.size()) * 4) % 64, 0u);
  }
}

TEST(Npy, WriteErrors) {
  TempDir dir;
  const std::string missing = dir.file("no/such/dir/a.npy");
  expect_error([&] { write_npy(missing, Tensor({2})); }, ErrorKind::volume_write, missing);
  expect_error([&] { write_npy(dir.path().string(), Tensor({2})); }, ErrorKind::volume_write, dir.path().string());
}

// ---------------------------------------------------------------------------------------
// Malformed files.

std::string header_v1(const std::string& dict) {
  std::string h = dict;
  while ((10 + h.size() + 1) % 64 != 0) h += ' ';
  h += '\n';
  std::string out = std::string("\x93NUMPY\x01\x00", 8);
  out += static_cast<char>(h.size() & 0xff);
  out += static_cast<char>(h.size() >> 8);
  return out + h;
}

std::string f4_payload(size_t n) { return std::string(n * 4, '\0'); }

struct Malformed {
  const char* name;
  std::string bytes;
  const char* message;  // part of the expected message
};

TEST(Npy, MalformedFilesAreVolumeReadErrors) {
  const std::string good_dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";
  const std::string good = header_v1(good_dict) + f4_payload(6);
  std::string huge_len = std::string("\x93NUMPY\x02\x00", 8) + std::string("\xff\xff\xff\x7f", 4) + "{";
  const std::vector<Malformed> cases = {
      {"empty", "", "too short"},
      {"short", "\x93NUM", "too short"},
      {"bad_magic", "\x93NUMPZ" + good.substr(6), "magic"},
      {"text", "hello world, this is not numpy data at all", "magic"},
      {"bad_version", std::string("\x93NUMPY\x09\x00", 8) + good.substr(8), "version"},
      {"header_longer_than_file", good.substr(0, 40), "header"},
      {"huge_header_len", huge_len, "header length"},
      {"missing_shape", header_v1("{'descr': '<f4', 'fortran_order': False, }") + f4_payload(6), "'shape' missing"},
      {"missing_descr", header_v1("{'fortran_order': False, 'shape': (6,), }") + f4_payload(6), "'descr' missing"},
      {"missing_order", header_v1("{'descr': '<f4', 'shape': (6,), }") + f4_payload(6), "'fortran_order' missing"},
      {"unknown_key", header_v1("{'descr': '<f4', 'fortran_order': False, 'shape': (6,), 'x': 1, }") + f4_payload(6),
       "unexpected key"},
      {"unclosed_dict", header_v1("{'descr': '<f4', 'fortran_order': False, 'shape': (6,)") + f4_payload(6),
       "bad .npy header"},
      {"not_a_dict", header_v1("[1, 2, 3]") + f4_payload(6), "bad .npy header"},
      {"unterminated_string", header_v1("{'descr: <f4, fortran_order: False}") + f4_payload(6), "bad .npy header"},
      {"bad_bool", header_v1("{'descr': '<f4', 'fortran_order': 0, 'shape': (6,), }") + f4_payload(6), "True or False"},
      {"negative_dim", header_v1("{'descr': '<f4', 'fortran_order': False, 'shape': (-6,), }") + f4_payload(6),
       "non-negative"},
      {"nested_shape", header_v1("{'descr': '<f4', 'fortran_order': False, 'shape': ((6,),), }") + f4_payload(6),
       "non-negative"},
      {"dim_over_64_bits",
       header_v1("{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999,), }") + f4_payload(6),
       "overflows"},
      {"shape_product_overflow",
       header_v1("{'descr': '<f4', 'fortran_order': False, 'shape': (1099511627776, 1099511627776), }") + f4_payload(6),
       "overflows"},
      {"byte_count_overflow",
       header_v1("{'descr': '<f8', 'fortran_order': False, 'shape': (4611686018427387904,), }") + f4_payload(6),
       "overflows the byte count"},
      {"huge_shape_short_data",
       header_v1("{'descr': '<f4', 'fortran_order': False, 'shape': (1000000000000,), }") + f4_payload(6), "truncated"},
      {"data_one_byte_short", good.substr(0, good.size() - 1), "truncated"},
      {"no_data", header_v1(good_dict), "truncated"},
      {"zero_d", header_v1("{'descr': '<f4', 'fortran_order': False, 'shape': (), }") + f4_payload(1), "0-d"},
      {"structured_dtype",
       header_v1("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (6,), }") + f4_payload(6), "structured"},
      {"complex_dtype", header_v1("{'descr': '<c8', 'fortran_order': False, 'shape': (3,), }") + f4_payload(6),
       "unsupported dtype"},
      {"unicode_dtype", header_v1("{'descr': '<U3', 'fortran_order': False, 'shape': (2,), }") + f4_payload(6),
       "unsupported dtype"},
      {"object_dtype", header_v1("{'descr': '|O', 'fortran_order': False, 'shape': (2,), }") + f4_payload(6),
       "unsupported dtype"},
      {"odd_float_size", header_v1("{'descr': '<f3', 'fortran_order': False, 'shape': (2,), }") + f4_payload(6),
       "unsupported dtype"},
      {"wide_bool", header_v1("{'descr': '<b2', 'fortran_order': False, 'shape': (2,), }") + f4_payload(6),
       "unsupported dtype"},
      {"trailing_garbage", header_v1(good_dict + " x") + f4_payload(6), "trailing"},
  };
  TempDir dir;
  for (const Malformed& c : cases) {
    SCOPED_TRACE(c.name);
    const std::string path = dir.file(std::string(c.name) + ".npy");
    testing::write_bytes(path, c.bytes);
    expect_error([&] { read_npy(path); }, ErrorKind::volume_read, path, c.message);
  }
}

TEST(Npy, MissingFileAndDirectory) {
  TempDir dir;
  const std::string missing = dir.file("missing.npy");
  expect_error([&] { read_npy(missing); }, ErrorKind::volume_read, missing);
  expect_error([&] { read_npy(dir.path().string()); }, ErrorKind::volume_read, dir.path().string(), "directory");
}

}  // namespace
}  // namespace voxconv::volume
