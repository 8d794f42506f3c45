// Volumes through ITK 5.2. The ImageIO is chosen from the extension and created
// directly (not through the factory registry), so which formats are read never depends
// on static factory registration in a static library, and an unknown extension fails
// before ITK guesses. Every ITK exception becomes one ErrorKind line naming the file.
#include <itkImage.h>
#include <itkImageFileReader.h>
#include <itkImageFileWriter.h>
#include <itkImageIOBase.h>
#include <itkImportImageContainer.h>
#include <itkMetaImageIO.h>
#include <itkNiftiImageIO.h>
#include <itkNrrdImageIO.h>
#include <itkTIFFImageIO.h>
#include <itkVectorImage.h>

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <string>
#include <system_error>
#include <type_traits>
#include <vector>

#include "core/error.hpp"
#include "core/sizes.hpp"
#include "volume/hdf5_volume.hpp"
#include "volume/header_check.hpp"
#include "volume/nifti_direct.hpp"
#include "volume/nifti_stream_writer.hpp"
#include "volume/payload_check.hpp"
#include "volume/slab_reader.hpp"
#include "volume/volume_io.hpp"

namespace voxconv::volume {
namespace {

// (x, y, z, t, u) x components: a NIfTI dim[5] without a vector intent is a 5th axis to ITK.
using ReadImage = itk::VectorImage<float, 5>;
using ScalarImage = itk::Image<float, 3>;
using MultiImage = itk::VectorImage<float, 3>;

[[noreturn]] void fail(ErrorKind kind, const std::string& path, const std::string& problem) {
  throw Error(kind, path + ": " + problem);
}

// ITK's descriptions read "ITK ERROR: NiftiImageIO(0x55d0c8): message\n  more detail";
// keep only the message's first non-empty line.
std::string condense(const std::string& text) {
  std::string s = text;
  const std::string tag = "ITK ERROR: ";
  if (s.compare(0, tag.size(), tag) == 0) {
    s.erase(0, tag.size());
    const size_t open = s.find('(');
    const size_t close = s.find("): ");
    if (open != std::string::npos && close != std::string::npos && open < close && s.find('\n') > close &&
        s.compare(open, 3, "(0x") == 0)
      s.erase(0, close + 3);
  }
  std::vector<std::string> lines;
  for (size_t start = 0; start < s.size();) {
    size_t end = s.find('\n', start);
    if (end == std::string::npos) end = s.size();
    const std::string line = s.substr(start, end - start);
    const size_t first = line.find_first_not_of(" \t\r");
    if (first != std::string::npos) lines.push_back(line.substr(first, line.find_last_not_of(" \t\r") - first + 1));
    start = end + 1;
  }
  if (lines.empty()) return "ITK error without a description";
  // NrrdIO appends its error stack ("[nrrd] func: message"); the innermost is the cause.
  std::string out = lines.front();
  const std::string& last = lines.back();
  if (lines.size() > 1 && last.compare(0, 7, "[nrrd] ") == 0) {
    std::string cause = last.substr(7);
    const size_t colon = cause.find(": ");
    if (colon != std::string::npos && cause.find(' ') > colon) cause.erase(0, colon + 2);  // drop "func: "
    out += (out.back() == ':' ? " " : ": ") + cause;
  }
  return out;
}

std::string describe(const itk::ExceptionObject& e) {
  const char* description = e.GetDescription();
  return condense(description != nullptr && *description != '\0' ? description : e.what());
}

itk::ImageIOBase::Pointer io_for(FileFormat format) {
  switch (format) {
    case FileFormat::nifti:
      return itk::NiftiImageIO::New().GetPointer();
    case FileFormat::nrrd:
      return itk::NrrdImageIO::New().GetPointer();
    case FileFormat::metaimage:
      return itk::MetaImageIO::New().GetPointer();
    case FileFormat::tiff:
      return itk::TIFFImageIO::New().GetPointer();
    default:
      return nullptr;
  }
}

const char* format_name(FileFormat format) {
  switch (format) {
    case FileFormat::nifti:
      return "NIfTI";
    case FileFormat::nrrd:
      return "NRRD";
    case FileFormat::metaimage:
      return "MetaImage";
    case FileFormat::tiff:
      return "TIFF";
    case FileFormat::npy:
      return ".npy";
    default:
      return "unknown";
  }
}

// Sizes of one file as voxconv sees it: 3 spatial axes, and channels from whichever one
// of the 4th axis (t), the 5th axis (u) and the pixel components (k) is not 1.
struct Layout {
  int64_t x = 1, y = 1, z = 1, t = 1, u = 1, k = 1;
  int64_t planes() const { return t * u; }  // whole 3-D volumes one after another
  int64_t channels() const { return t * u * k; }
};

Layout layout_of(const itk::ImageIOBase& io, const std::string& path) {
  const unsigned n = io.GetNumberOfDimensions();
  if (n < 1) fail(ErrorKind::volume_read, path, "image has no dimensions");
  Layout l;
  int64_t* axes[5] = {&l.x, &l.y, &l.z, &l.t, &l.u};
  for (unsigned i = 0; i < n; ++i) {
    const auto size = static_cast<int64_t>(io.GetDimensions(i));
    if (size < 1) fail(ErrorKind::volume_read, path, "axis " + std::to_string(i) + " has size 0");
    if (i < 5) {
      *axes[i] = size;
    } else if (size != 1) {
      fail(ErrorKind::volume_read, path,
           std::to_string(n) + "-D image with size " + std::to_string(size) + " along axis " + std::to_string(i) +
               " (only one axis beyond the 3rd can become channels)");
    }
  }
  l.k = static_cast<int64_t>(io.GetNumberOfComponents());
  if (l.k < 1) fail(ErrorKind::volume_read, path, "image has no pixel components");
  if ((l.t > 1) + (l.u > 1) + (l.k > 1) > 1)
    fail(ErrorKind::volume_read, path,
         "image with " + std::to_string(l.t) + " time points, " + std::to_string(l.u) + " entries along axis 5 and " +
             std::to_string(l.k) + "-component pixels: only one of them can become the channels");
  return l;
}

Geometry geometry_of(const itk::ImageIOBase& io) {
  Geometry g;
  const unsigned n = std::min(io.GetNumberOfDimensions(), 3u);
  for (unsigned j = 0; j < n; ++j) {
    g.spacing[j] = io.GetSpacing(j);
    g.origin[j] = io.GetOrigin(j);
    const std::vector<double> column = io.GetDirection(j);
    for (unsigned r = 0; r < n && r < column.size(); ++r) g.direction[r * 3 + j] = column[r];
  }
  return g;
}

void check_readable_file(const std::string& path) {
  std::error_code ec;
  const auto status = std::filesystem::status(path, ec);
  if (!std::filesystem::exists(status)) fail(ErrorKind::volume_read, path, "no such file");
  if (std::filesystem::is_directory(status)) fail(ErrorKind::volume_read, path, "is a directory, not a volume file");
  if (!std::filesystem::is_regular_file(status)) fail(ErrorKind::volume_read, path, "not a regular file");
}

// Byte offset just after the "ElementDataFile = LOCAL" line of a MetaImage header, or
// nullopt when the header does not show one in its first MiB.
std::optional<uint64_t> local_data_offset(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::string head(size_t{1} << 20, '\0');
  in.read(head.data(), static_cast<std::streamsize>(head.size()));
  head.resize(static_cast<size_t>(in.gcount()));
  for (size_t pos = head.find("ElementDataFile"); pos != std::string::npos;
       pos = head.find("ElementDataFile", pos + 1)) {
    if (pos != 0 && head[pos - 1] != '\n') continue;
    const size_t newline = head.find('\n', pos);
    if (newline == std::string::npos) return std::nullopt;
    return newline + 1;
  }
  return std::nullopt;
}

// ITK 5.2's MetaImageIO prints "data not read completely" and returns garbage for a
// short data file, so count the bytes first.
void check_metaimage_payload(const std::string& path, itk::MetaImageIO& io) {
  MetaImage* meta = io.GetMetaImagePointer();
  if (meta == nullptr || !meta->BinaryData()) return;  // ASCII data: MetaIO parses it
  const std::string data_file = meta->ElementDataFileName();
  std::string lower = data_file;
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
  std::string file = path;
  uint64_t offset = 0;
  if (lower == "local") {
    const std::optional<uint64_t> local = local_data_offset(path);
    if (!local) return;
    offset = *local;
  } else {
    if (lower.compare(0, 4, "list") == 0 || data_file.find('%') != std::string::npos) return;  // one file per slice
    std::filesystem::path data_path(data_file);
    if (data_path.is_relative()) data_path = std::filesystem::path(path).parent_path() / data_path;
    file = data_path.string();
    std::error_code ec;
    if (!std::filesystem::is_regular_file(file, ec))
      fail(ErrorKind::volume_read, path, "data file " + file + " not found");
    if (meta->HeaderSize() > 0) offset = static_cast<uint64_t>(meta->HeaderSize());
  }
  detail::check_payload(path, file, offset,
                        meta->CompressedData() ? detail::Compression::zlib_or_gzip : detail::Compression::none,
                        static_cast<uint64_t>(io.GetImageSizeInBytes()));
}
}  // namespace

namespace {

// NIfTI files ITK 5.2 gets wrong, which the direct reader takes.
bool read_nifti_without_itk(const detail::NiftiHeader& h) {
  if (h.version == 2) return true;  // ITK 5.2 reads NIfTI-1 only
  // ITK 5.2 adds scl_inter even when scl_slope is 0, which the standard says means no
  // scaling at all; such files take the reader that follows the standard.
  const bool slope_unset = !std::isfinite(h.scl_slope) || h.scl_slope == 0.0;
  if (slope_unset && std::isfinite(h.scl_inter) && h.scl_inter != 0.0) return true;
  // ITK 5.2 reads a single-slice file with more than three dimensions (a vector or 4-D
  // image, nz = 1) as 2-D and drops the z spacing, origin and direction.
  return h.dim[0] > 3 && h.dim[3] == 1;
}

}  // namespace

Volume read_volume(const std::string& path) {
  if (format_of(path) == FileFormat::hdf5) return detail::read_hdf5_volume(path);
  check_readable_file(path);
  const FileFormat format = format_of(path);
  itk::ImageIOBase::Pointer io = io_for(format);
  if (!io)
    fail(ErrorKind::volume_read, path,
         format == FileFormat::npy ? "a .npy array is not a volume (no geometry)"
                                   : std::string("unsupported extension (supported: ") + supported_extensions() + ")");
  std::optional<detail::NiftiHeader> nifti;
  if (format == FileFormat::nifti) {
    // Our own parse and checks first: ITK's errors say little, and ITK trusts the header.
    nifti = detail::check_nifti_file(path);
    if (read_nifti_without_itk(*nifti)) return detail::read_nifti_direct(path, *nifti);
  }
  if (format == FileFormat::nrrd) detail::check_nrrd_header(path);  // ITK trusts the header's sizes
  if (format == FileFormat::metaimage) detail::check_metaimage_header(path);
  if (!io->CanReadFile(path.c_str()))
    fail(ErrorKind::volume_read, path, std::string("not a readable ") + format_name(format) + " file");

  Volume volume;
  Layout l;
  try {
    io->SetFileName(path);
    try {
      io->ReadImageInformation();
    } catch (const itk::ExceptionObject& e) {
      // ITK 5.2 refuses a sheared sform when there is no qform; read it ourselves.
      if (nifti && describe(e).find("orthonormal") != std::string::npos) return detail::read_nifti_direct(path, *nifti);
      throw;
    }
    l = layout_of(*io, path);
    // Guard before anything is allocated (throws ErrorKind::resource): ITK's buffer, the
    // file's own values while ITK converts them, and voxconv's tensor.
    const int64_t values = checked_element_count({1, l.z, l.y, l.x, l.channels()}, path);
    check_memory(static_cast<uint64_t>(values) * 2 * sizeof(float) + static_cast<uint64_t>(io->GetImageSizeInBytes()),
                 path, "the volume read by ITK and copied as float32");
    // ITK 5.2 returns garbage, without an error, for short MetaImage data (NIfTI: checked above).
    if (auto* meta_io = dynamic_cast<itk::MetaImageIO*>(io.GetPointer())) check_metaimage_payload(path, *meta_io);
    volume.geometry = geometry_of(*io);

    auto reader = itk::ImageFileReader<ReadImage>::New();
    reader->SetImageIO(io);
    reader->SetFileName(path);
    reader->Update();
    const ReadImage* image = reader->GetOutput();
    const auto region = image->GetBufferedRegion().GetSize();
    const int64_t channels = l.channels();
    if (static_cast<int64_t>(region[0]) != l.x || static_cast<int64_t>(region[1]) != l.y ||
        static_cast<int64_t>(region[2]) != l.z || static_cast<int64_t>(region[3]) != l.t ||
        static_cast<int64_t>(region[4]) != l.u || static_cast<int64_t>(image->GetNumberOfComponentsPerPixel()) != l.k)
      fail(ErrorKind::volume_read, path, "ITK returned an image of unexpected size");

    volume.data = Tensor({1, l.z, l.y, l.x, channels});
    const float* src = image->GetBufferPointer();
    float* dst = volume.data.data();
    const int64_t voxels = l.x * l.y * l.z;
    if (l.planes() == 1) {
      // Components are already interleaved fastest, as the tensor wants them.
      std::memcpy(dst, src, static_cast<size_t>(voxels * l.k) * sizeof(float));
    } else {
      // ITK's buffer holds whole 3-D volumes one after another; interleave them.
      const int64_t planes = l.planes();
      for (int64_t p = 0; p < planes; ++p) {
        const float* plane = src + p * voxels;
        for (int64_t v = 0; v < voxels; ++v) dst[v * planes + p] = plane[v];
      }
    }
  } catch (const itk::ExceptionObject& e) {
    fail(ErrorKind::volume_read, path, describe(e));
  } catch (const std::bad_alloc&) {
    fail(ErrorKind::resource, path, "out of memory while reading the volume");
  }
  return volume;
}

namespace {

// Everything write_volume refuses before any file is touched; returns the format.
// `dims` is (1, Z, Y, X, C); `count` the number of values the buffer holds.
FileFormat check_write_request(const std::string& path, const Dims& dims, int64_t count, const Geometry& geometry) {
  const FileFormat format = format_of(path);
  if (format != FileFormat::hdf5 && !io_for(format))
    fail(ErrorKind::volume_write, path,
         std::string("cannot write a volume with this extension (supported: .nii, .nii.gz, .nrrd, .nhdr, .mha, .mhd, "
                     ".tif, .tiff, FILE.h5:/dataset)"));
  if (dims.size() != 5 || dims[0] != 1)
    fail(ErrorKind::volume_write, path, "expected a (1, Z, Y, X, C) tensor, got shape " + dims_to_string(dims));
  const int64_t z = dims[1], y = dims[2], x = dims[3], c = dims[4];
  if (x < 1 || y < 1 || z < 1 || c < 1)
    fail(ErrorKind::volume_write, path, "cannot write an empty volume of shape " + dims_to_string(dims));
  if (count != x * y * z * c) fail(ErrorKind::volume_write, path, "tensor does not hold its shape's values");
  std::error_code ec;
  const std::string file = volume_file_of(path);  // an HDF5 volume is a dataset in this file
  if (std::filesystem::is_directory(file, ec)) fail(ErrorKind::volume_write, path, "is a directory");
  const std::filesystem::path parent = std::filesystem::path(file).parent_path();
  if (!parent.empty() && !std::filesystem::is_directory(parent, ec))
    fail(ErrorKind::volume_write, path, "directory " + parent.string() + " does not exist");
  for (unsigned i = 0; i < 3; ++i)
    if (!(std::isfinite(geometry.spacing[i]) && geometry.spacing[i] > 0))
      fail(ErrorKind::volume_write, path, "spacing must be positive and finite");
  return format;
}

// What ITK and the C libraries under it (nifti1_io, MetaIO, NrrdIO) print to stderr while
// writing, held back so that voxconv's error stays one line; a failed write quotes it.
class StderrCapture {
 public:
  StderrCapture() {
    std::fflush(stderr);
    std::cerr.flush();
    file_ = std::tmpfile();
    saved_ = file_ != nullptr ? ::dup(STDERR_FILENO) : -1;
    if (saved_ >= 0 && ::dup2(::fileno(file_), STDERR_FILENO) < 0) restore();
  }
  ~StderrCapture() {
    restore();
    if (file_ != nullptr) std::fclose(file_);
  }
  StderrCapture(const StderrCapture&) = delete;
  StderrCapture& operator=(const StderrCapture&) = delete;

  // The first line printed, or "".
  std::string first_line() {
    restore();
    if (file_ == nullptr) return "";
    std::rewind(file_);
    char line[512] = {};
    if (std::fgets(line, sizeof line, file_) == nullptr) return "";
    std::string text = line;
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
    return text;
  }

 private:
  void restore() {
    if (saved_ < 0) return;
    std::fflush(stderr);
    std::cerr.flush();
    ::dup2(saved_, STDERR_FILENO);
    ::close(saved_);
    saved_ = -1;
  }
  std::FILE* file_ = nullptr;
  int saved_ = -1;
};

FileFormat check_write_request(const std::string& path, const Tensor& zyxc, const Geometry& geometry) {
  return check_write_request(path, zyxc.dims(), zyxc.size(), geometry);
}

// Places an ITK image on the volume's grid and wraps `buffer` without copying (the
// writers only read it).
template <typename Image, typename Pixel>
typename Image::Pointer wrap_image(Pixel* buffer, int64_t x, int64_t y, int64_t z, int64_t components,
                                   const Geometry& geometry) {
  itk::ImageRegion<3> region;
  region.SetSize(
      {{static_cast<itk::SizeValueType>(x), static_cast<itk::SizeValueType>(y), static_cast<itk::SizeValueType>(z)}});
  itk::Vector<double, 3> spacing;
  itk::Point<double, 3> origin;
  itk::Matrix<double, 3, 3> direction;
  for (unsigned i = 0; i < 3; ++i) {
    spacing[i] = geometry.spacing[i];
    origin[i] = geometry.origin[i];
    for (unsigned j = 0; j < 3; ++j) direction(i, j) = geometry.direction[i * 3 + j];
  }
  auto image = Image::New();
  image->SetRegions(region);
  image->SetSpacing(spacing);
  image->SetOrigin(origin);
  image->SetDirection(direction);
  if constexpr (std::is_same_v<Image, MultiImage>) image->SetNumberOfComponentsPerPixel(static_cast<unsigned>(components));
  auto container = Image::PixelContainer::New();
  container->SetImportPointer(buffer, static_cast<itk::SizeValueType>(x * y * z * components), false);
  image->SetPixelContainer(container);
  return image;
}

// ".nii.gz": ITK's NIfTI writer compresses by the name; the level needs compression on.
bool ends_with_gz(const std::string& path) {
  return path.size() > 3 && path.compare(path.size() - 3, 3, ".gz") == 0;
}

// Writes `buffer` (x fastest, components interleaved) as an Image on the volume's grid.
template <typename Image, typename Pixel>
void write_itk_image(const std::string& path, FileFormat format, Pixel* buffer, int64_t x, int64_t y, int64_t z,
                     int64_t components, const Geometry& geometry, const WriteOptions& options) {
  const bool compress = options.compress || ends_with_gz(path);
  try {
    const typename Image::Pointer image = wrap_image<Image>(buffer, x, y, z, components, geometry);
    itk::ImageIOBase::Pointer io = io_for(format);
    io->SetFileName(path);
    auto writer = itk::ImageFileWriter<Image>::New();
    writer->SetInput(image);
    writer->SetImageIO(io);
    writer->SetFileName(path);
    writer->SetUseCompression(compress);
    if (compress && options.compression_level >= 0) writer->SetCompressionLevel(options.compression_level);
    writer->Update();
  } catch (const itk::ExceptionObject& e) {
    fail(ErrorKind::volume_write, path, describe(e));
  }
}

void write_through_itk(const std::string& path, FileFormat format, const Tensor& zyxc, const Geometry& geometry,
                       const WriteOptions& options) {
  const int64_t z = zyxc.dim(1), y = zyxc.dim(2), x = zyxc.dim(3), c = zyxc.dim(4);
  float* const buffer = const_cast<float*>(zyxc.data());
  if (c == 1)
    write_itk_image<ScalarImage>(path, format, buffer, x, y, z, 1, geometry, options);
  else
    write_itk_image<MultiImage>(path, format, buffer, x, y, z, c, geometry, options);
}

// ITK 5.2's NIfTI and MetaImage writers only print to stderr when they cannot write (or
// write short), and report success: read the result back to be sure it is complete.
void check_written_complete(const std::string& path, FileFormat format, const std::string& library_said) {
  try {
    if (format == FileFormat::nifti) {
      const detail::NiftiHeader written = detail::read_nifti_header(path);
      detail::check_payload(path, path, 0,
                            detail::is_gzip_file(path) ? detail::Compression::zlib_or_gzip : detail::Compression::none,
                            static_cast<uint64_t>(written.vox_offset) + detail::nifti_payload_bytes(written, path));
    } else if (format == FileFormat::nrrd) {
      detail::check_nrrd_header(path);
    } else if (format == FileFormat::metaimage) {
      auto io = itk::MetaImageIO::New();
      io->SetFileName(path);
      io->ReadImageInformation();
      check_metaimage_payload(path, *io);
    }
  } catch (const itk::ExceptionObject& e) {
    fail(ErrorKind::volume_write, path,
         std::string("the ") + format_name(format) + " writer did not produce a readable file (" + describe(e) + ")" +
             (library_said.empty() ? "" : ": " + library_said));
  } catch (const Error& e) {
    std::string problem = e.what();
    if (problem.compare(0, path.size() + 2, path + ": ") == 0) problem.erase(0, path.size() + 2);
    fail(ErrorKind::volume_write, path,
         std::string("the ") + format_name(format) + " writer did not produce a complete file (" + problem + ")" +
             (library_said.empty() ? "" : ": " + library_said));
  }
}

// Runs `write` (ITK or the streamed NIfTI writer) with what the libraries print held
// back, then checks the file it wrote.
template <typename Write>
void write_checked(const std::string& path, FileFormat format, Write write) {
  StderrCapture capture;
  try {
    write();
  } catch (const Error&) {
    capture.first_line();  // restore stderr before the error travels on
    throw;
  }
  check_written_complete(path, format, capture.first_line());
}

}  // namespace

void write_volume(const std::string& path, const Tensor& zyxc, const Geometry& geometry, const WriteOptions& options) {
  const FileFormat format = check_write_request(path, zyxc, geometry);
  if (options.compression_level < -1 || options.compression_level > 9)
    fail(ErrorKind::volume_write, path,
         "compression level " + std::to_string(options.compression_level) + " is outside zlib's 0..9");
  if (format == FileFormat::hdf5) return detail::write_hdf5_volume(path, zyxc, geometry, options);
  write_checked(path, format, [&] {
    // ITK would copy the whole image to reorder vector pixels for NIfTI; stream them instead.
    if (format == FileFormat::nifti && detail::nifti_stream_writable(path, zyxc, options.compression_level))
      detail::write_nifti_vectors_streamed(path, zyxc, geometry, options.compression_level);
    else
      write_through_itk(path, format, zyxc, geometry, options);
  });
}

void write_label_volume(const std::string& path, const LabelArray& labels, const Geometry& geometry, bool compress) {
  if (labels.dims.size() != 4)
    fail(ErrorKind::volume_write, path, "expected (1, Z, Y, X) labels, got shape " + dims_to_string(labels.dims));
  const Dims dims{labels.dims[0], labels.dims[1], labels.dims[2], labels.dims[3], 1};
  const FileFormat format = check_write_request(path, dims, static_cast<int64_t>(labels.values.size()), geometry);
  if (format == FileFormat::hdf5)
    fail(ErrorKind::volume_write, path, "label volumes are written as NIfTI, NRRD, MetaImage, TIFF or .npy, not HDF5");
  const int64_t z = dims[1], y = dims[2], x = dims[3];
  const WriteOptions options{compress, -1};
  write_checked(path, format, [&] {
    if (labels.as_uint8) {
      std::vector<unsigned char> narrow(labels.values.begin(), labels.values.end());
      write_itk_image<itk::Image<unsigned char, 3>>(path, format, narrow.data(), x, y, z, 1, geometry, options);
    } else {
      auto* buffer = const_cast<unsigned short*>(labels.values.data());
      write_itk_image<itk::Image<unsigned short, 3>>(path, format, buffer, x, y, z, 1, geometry, options);
    }
  });
}

namespace detail {

void write_volume_itk(const std::string& path, const Tensor& zyxc, const Geometry& geometry, bool compress) {
  const FileFormat format = check_write_request(path, zyxc, geometry);
  write_checked(path, format, [&] { write_through_itk(path, format, zyxc, geometry, WriteOptions{compress, -1}); });
}

}  // namespace detail

std::unique_ptr<SlabReader> open_volume_slab_reader(const std::string& path) {
  if (format_of(path) != FileFormat::nifti) return nullptr;  // read_volume says what is wrong with others
  check_readable_file(path);
  const detail::NiftiHeader h = detail::read_nifti_header(path);
  // Scaled values would have to match ITK's arithmetic; such files are read whole.
  if (detail::nifti_rescales(h)) return nullptr;
  const int64_t channels = std::max<int64_t>(h.dim[0] >= 4 ? h.dim[4] : 1, 1) * std::max<int64_t>(h.dim[0] >= 5 ? h.dim[5] : 1, 1);
  if (detail::is_gzip_file(path) && channels > 1) return nullptr;  // one pass over gzip per channel and slab
  detail::check_payload(path, path, 0, detail::is_gzip_file(path) ? detail::Compression::zlib_or_gzip : detail::Compression::none,
                        static_cast<uint64_t>(h.vox_offset) + detail::nifti_payload_bytes(h, path));
  // The geometry read_volume reports: ITK's, except where read_volume reads without ITK.
  std::vector<std::string> warnings;
  Geometry geometry;
  if (read_nifti_without_itk(h)) {
    geometry = detail::nifti_geometry(h, path, warnings);
  } else {
    itk::ImageIOBase::Pointer io = io_for(FileFormat::nifti);
    try {
      io->SetFileName(path);
      io->ReadImageInformation();
      geometry = geometry_of(*io);
    } catch (const itk::ExceptionObject& e) {
      if (describe(e).find("orthonormal") == std::string::npos) fail(ErrorKind::volume_read, path, describe(e));
      geometry = detail::nifti_geometry(h, path, warnings);
    }
  }
  return detail::open_nifti_plane_reader(path, h, geometry);
}

}  // namespace voxconv::volume
