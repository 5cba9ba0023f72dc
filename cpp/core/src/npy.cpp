#include "etkit/npy.h"

#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <regex>

namespace etkit {
namespace {

constexpr char kMagic[] = "\x93NUMPY";
constexpr size_t kMagicLen = 6;

struct NpyDescr {
  const char* descr;
  ScalarType dtype;
};

// Byte order '|' means "not applicable" (one-byte types); '<' is little-endian.
constexpr NpyDescr kDescrs[] = {
    {"<f4", ScalarType::Float}, {"<f8", ScalarType::Double}, {"<f2", ScalarType::Half},
    {"|u1", ScalarType::Byte},  {"|i1", ScalarType::Char},   {"<i2", ScalarType::Short},
    {"<i4", ScalarType::Int},   {"<i8", ScalarType::Long},   {"|b1", ScalarType::Bool},
};

Error bad(const std::string& name, const std::string& what) {
  return make_error(ErrorCode::kInvalidInput, name + " is not a valid .npy file: " + what);
}

// The header is a Python dict literal; numpy writes it in one fixed layout,
// but hand-written files vary in spacing and key order, so match each key.
std::optional<std::string> dict_value(const std::string& header, const std::string& key,
                                      const std::string& value_pattern) {
  std::smatch m;
  const std::regex re("['\"]" + key + "['\"]\\s*:\\s*(" + value_pattern + ")");
  if (!std::regex_search(header, m, re)) return std::nullopt;
  return m[1].str();
}

}  // namespace

Result<HostTensor> parse_npy(const uint8_t* data, size_t size, const std::string& name) {
  if (size < kMagicLen + 4 || std::memcmp(data, kMagic, kMagicLen) != 0) {
    return bad(name, "missing the \\x93NUMPY magic");
  }
  const uint8_t major = data[6];
  size_t header_len = 0, header_start = 0;
  if (major == 1) {
    header_len = data[8] | (size_t(data[9]) << 8);
    header_start = 10;
  } else if (major == 2 || major == 3) {
    if (size < 12) return bad(name, "truncated header");
    header_len = data[8] | (size_t(data[9]) << 8) | (size_t(data[10]) << 16) | (size_t(data[11]) << 24);
    header_start = 12;
  } else {
    return bad(name, "unsupported format version " + std::to_string(major));
  }
  if (header_len > size - header_start) return bad(name, "truncated header");
  const std::string header(reinterpret_cast<const char*>(data) + header_start, header_len);

  auto descr = dict_value(header, "descr", "'[^']*'|\"[^\"]*\"");
  auto fortran = dict_value(header, "fortran_order", "True|False");
  auto shape_text = dict_value(header, "shape", "\\([^)]*\\)");
  if (!descr || !fortran || !shape_text) return bad(name, "header lacks descr, fortran_order or shape");
  const std::string d = descr->substr(1, descr->size() - 2);
  if (*fortran == "True") return bad(name, "Fortran-ordered arrays are not supported; save a C-ordered array");

  std::optional<ScalarType> dtype;
  for (const auto& k : kDescrs) {
    // numpy writes '|b1', but '<b1' and '<u1' style spellings are equivalent.
    if (d == k.descr || (d.size() == 3 && d[0] == '<' && k.descr[0] == '|' && d.substr(1) == k.descr + 1)) {
      dtype = k.dtype;
    }
  }
  if (!dtype) {
    return bad(name, "unsupported dtype '" + d + "' (supported: little-endian float16/32/64, int8/16/32/64, uint8, bool)");
  }

  std::vector<int64_t> shape;
  const std::string dims = shape_text->substr(1, shape_text->size() - 2);
  const std::regex int_re("\\s*(\\d+)\\s*(,|$)");
  size_t pos = 0;
  for (std::sregex_iterator it(dims.begin(), dims.end(), int_re), end; it != end; ++it) {
    if (static_cast<size_t>(it->position()) != pos) return bad(name, "malformed shape " + *shape_text);
    const std::string digits = (*it)[1].str();
    if (digits.size() > 12) return bad(name, "dimension too large in shape " + *shape_text);
    shape.push_back(std::stoll(digits));
    pos = it->position() + it->length();
  }
  if (dims.find_first_not_of(" \t") != std::string::npos && pos != dims.size()) {
    return bad(name, "malformed shape " + *shape_text);
  }

  HostTensor t;
  t.dtype = *dtype;
  t.shape = shape;
  const size_t payload = size - header_start - header_len;
  size_t needed = dtype_size(*dtype);
  for (int64_t dim : shape) {
    if (__builtin_mul_overflow(needed, static_cast<size_t>(dim), &needed)) {
      return bad(name, "shape " + shape_string(shape) + " is too large");
    }
  }
  if (needed != payload) {
    return bad(name, "data holds " + std::to_string(payload) + " bytes but shape " + shape_string(shape) + " of " +
                         dtype_name(*dtype) + " needs " + std::to_string(needed));
  }
  t.bytes.assign(data + header_start + header_len, data + size);
  return t;
}

Result<HostTensor> read_npy(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error(ErrorCode::kIo, "cannot open " + path + ": " + std::strerror(errno));
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) return make_error(ErrorCode::kIo, "cannot read " + path);
  return parse_npy(bytes.data(), bytes.size(), path);
}

Status write_npy(const std::string& path, const TensorView& tensor) {
  const char* descr = nullptr;
  for (const auto& k : kDescrs) {
    if (k.dtype == tensor.dtype) descr = k.descr;
  }
  if (!descr) {
    return make_error(ErrorCode::kInvalidArgument, "cannot write dtype " + dtype_name(tensor.dtype) + " to .npy");
  }
  std::string shape = "(";
  for (size_t i = 0; i < tensor.shape.size(); ++i) shape += std::to_string(tensor.shape[i]) + ", ";
  if (tensor.shape.size() > 1) shape.resize(shape.size() - 2);  // (n,) keeps its comma
  if (tensor.shape.size() == 1) shape.resize(shape.size() - 1);
  shape += ")";
  std::string header = "{'descr': '" + std::string(descr) + "', 'fortran_order': False, 'shape': " + shape + ", }";
  // Pad so that magic + length + header + '\n' is a multiple of 64, as numpy does.
  const size_t unpadded = kMagicLen + 4 + header.size() + 1;
  header.append((64 - unpadded % 64) % 64, ' ');
  header += '\n';

  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) return make_error(ErrorCode::kIo, "cannot write " + path + ": " + std::strerror(errno));
    const uint8_t version[2] = {1, 0};
    const uint16_t len = static_cast<uint16_t>(header.size());
    const uint8_t len_le[2] = {uint8_t(len & 0xff), uint8_t(len >> 8)};
    out.write(kMagic, kMagicLen);
    out.write(reinterpret_cast<const char*>(version), 2);
    out.write(reinterpret_cast<const char*>(len_le), 2);
    out.write(header.data(), static_cast<std::streamsize>(header.size()));
    out.write(static_cast<const char*>(tensor.data), static_cast<std::streamsize>(tensor.nbytes()));
    if (!out.flush()) {
      const int err = errno;
      std::remove(tmp.c_str());
      return make_error(ErrorCode::kIo, "cannot write " + path + ": " + std::strerror(err));
    }
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    return make_error(ErrorCode::kIo, "cannot write " + path + ": " + std::strerror(errno));
  }
  return {};
}

}  // namespace etkit
