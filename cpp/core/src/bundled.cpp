#include "etkit/bundled.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <memory>

#include "etkit/program.h"
#include "etkit/tensor.h"
#include "pte_layout.h"  // detail::is_utf8

// Generated code stays out of our dynamic symbol table (see
// cmake/EtkitFlatbuffers.cmake): the runtime exports its own copies of the
// executorch_flatbuffer enum helpers that scalar_type.fbs also generates.
#pragma GCC visibility push(hidden)
#include "bundled_program_schema_generated.h"
#pragma GCC visibility pop

namespace etkit {
namespace {

namespace bp = bundled_program_flatbuffer;

Result<std::vector<uint8_t>> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error(ErrorCode::kIo, "cannot open " + path);
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) return make_error(ErrorCode::kIo, "cannot read " + path);
  return bytes;
}

// Program::load maps a file; the embedded program goes to a private temporary
// one, unlinked as soon as it is mapped.
Result<std::unique_ptr<Program>> load_embedded(const flatbuffers::Vector<uint8_t>& program, const std::string& path) {
  const char* dir = std::getenv("TMPDIR");
  std::string tmp = std::string(dir && *dir ? dir : "/tmp") + "/et-run-bundled-XXXXXX";
  const int fd = ::mkstemp(tmp.data());
  if (fd < 0) return make_error(ErrorCode::kIo, "cannot create a temporary file for the program in " + path);
  const bool written = ::write(fd, program.data(), program.size()) == static_cast<ssize_t>(program.size());
  ::close(fd);
  auto loaded = written ? Program::load(tmp) : Result<std::unique_ptr<Program>>(make_error(ErrorCode::kIo, ""));
  ::unlink(tmp.c_str());
  if (!written) return make_error(ErrorCode::kIo, "cannot write the program embedded in " + path + " to " + tmp);
  if (!loaded.ok()) {
    return make_error(loaded.error().code, "the program embedded in " + path + ": " + loaded.error().message);
  }
  return loaded;
}

Result<HostTensor> tensor_of(const bp::Value* value, const std::string& what) {
  const auto* t = value ? value->val_as_Tensor() : nullptr;
  if (t == nullptr) return make_error(ErrorCode::kInvalidProgram, what + " is not a tensor (only tensors are supported)");
  std::vector<int64_t> shape;
  if (t->sizes()) shape.assign(t->sizes()->begin(), t->sizes()->end());
  HostTensor h(static_cast<ScalarType>(t->scalar_type()), shape);
  const size_t have = t->data() ? t->data()->size() : 0;
  if (have != h.bytes.size()) {
    return make_error(ErrorCode::kInvalidProgram, what + " holds " + std::to_string(have) + " bytes; " +
                                                      dtype_name(h.dtype) + shape_string(shape) + " needs " +
                                                      std::to_string(h.bytes.size()));
  }
  if (have) std::copy(t->data()->begin(), t->data()->end(), h.bytes.begin());
  return h;
}

double element(const TensorView& t, int64_t i) {
  switch (t.dtype) {
    case ScalarType::Float: return static_cast<const float*>(t.data)[i];
    case ScalarType::Double: return static_cast<const double*>(t.data)[i];
    case ScalarType::Long: return static_cast<double>(static_cast<const int64_t*>(t.data)[i]);
    case ScalarType::Int: return static_cast<const int32_t*>(t.data)[i];
    case ScalarType::Short: return static_cast<const int16_t*>(t.data)[i];
    case ScalarType::Char: return static_cast<const int8_t*>(t.data)[i];
    case ScalarType::Byte: return static_cast<const uint8_t*>(t.data)[i];
    case ScalarType::Bool: return static_cast<const bool*>(t.data)[i];
    case ScalarType::Half: return static_cast<const executorch::aten::Half*>(t.data)[i];
    case ScalarType::BFloat16: return static_cast<const executorch::aten::BFloat16*>(t.data)[i];
    default: return NAN;
  }
}

// Compares one output with its expected value; returns a problem or "".
std::string compare(const TensorView& got, const TensorView& want, const BundledTolerance& tol, size_t index,
                    double& max_abs_error) {
  const std::string name = "output " + std::to_string(index);
  if (got.dtype != want.dtype || got.shape != want.shape) {
    return name + " is " + dtype_name(got.dtype) + shape_string(got.shape) + ", expected " + dtype_name(want.dtype) +
           shape_string(want.shape);
  }
  int64_t worst = -1, bad = 0;
  double worst_excess = 0;
  for (int64_t i = 0, n = element_count(got.shape); i < n; ++i) {
    const double g = element(got, i), w = element(want, i);
    const double err = std::fabs(g - w);
    if (std::isnan(g) != std::isnan(w)) {
      max_abs_error = INFINITY;
    } else if (!std::isnan(err)) {
      max_abs_error = std::max(max_abs_error, err);
    }
    const double excess = (std::isnan(g) && std::isnan(w)) ? 0 : err - (tol.atol + tol.rtol * std::fabs(w));
    if (!(excess <= 0)) {
      ++bad;
      if (worst < 0 || !(excess <= worst_excess)) worst = i, worst_excess = excess;
    }
  }
  if (bad == 0) return "";
  char buf[160];
  std::snprintf(buf, sizeof buf, ": %lld of %lld element(s) differ; worst at flat index %lld: got %.7g, expected %.7g",
                static_cast<long long>(bad), static_cast<long long>(element_count(got.shape)),
                static_cast<long long>(worst), element(got, worst), element(want, worst));
  return name + buf;
}

// The verified BundledProgram in `data`, holding a program. `what` names the
// file in messages.
Result<const bp::BundledProgram*> open_bundle(const uint8_t* data, size_t size, const std::string& what) {
  if (size < 8 || !bp::BundledProgramBufferHasIdentifier(data)) {
    return make_error(ErrorCode::kInvalidProgram, what + " is not a bundled program (.bpte): no BP08 identifier");
  }
  flatbuffers::Verifier verifier(data, size);
  if (!bp::VerifyBundledProgramBuffer(verifier)) {
    return make_error(ErrorCode::kInvalidProgram, what + " is not a well-formed bundled program (.bpte)");
  }
  const auto* bundle = bp::GetBundledProgram(data);
  if (bundle->program() == nullptr || bundle->program()->size() == 0) {
    return make_error(ErrorCode::kInvalidProgram, what + " holds no program");
  }
  return bundle;
}

}  // namespace

Result<ProgramDescription> describe_bundled(const uint8_t* data, size_t size) {
  auto opened = open_bundle(data, size, "the file");
  if (!opened.ok()) return opened.error();
  const bp::BundledProgram* bundle = *opened;
  auto described = describe_program(bundle->program()->data(), bundle->program()->size());
  if (!described.ok()) {
    return make_error(described.error().code, "the program inside: " + described.error().message);
  }
  BundledDescription b;
  b.file_bytes = size;
  const auto* suites = bundle->method_test_suites();
  for (flatbuffers::uoffset_t s = 0; suites && s < suites->size(); ++s) {
    const auto* suite = suites->Get(s);
    if (!suite) continue;
    const auto* name = suite->method_name();
    if (name && !detail::is_utf8(name->data(), name->size())) {
      return make_error(ErrorCode::kInvalidProgram, "test suite " + std::to_string(s) + "'s method name is not UTF-8 text");
    }
    b.test_cases.emplace_back(name ? name->str() : "", suite->test_cases() ? suite->test_cases()->size() : 0);
  }
  described->bundled = std::move(b);
  return described;
}

bool is_bundled_program(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  char head[8] = {};
  return in.read(head, sizeof head) && flatbuffers::BufferHasIdentifier(head, bp::BundledProgramIdentifier());
}

Result<std::vector<BundledCase>> verify_bundled(const std::string& path, const std::string& method,
                                                const BundledTolerance& tolerance) {
  auto bytes = read_file(path);
  if (!bytes.ok()) return bytes.error();
  auto opened = open_bundle(bytes->data(), bytes->size(), path);
  if (!opened.ok()) return opened.error();
  const bp::BundledProgram* bundle = *opened;
  auto program = load_embedded(*bundle->program(), path);
  if (!program.ok()) return program.error();

  std::vector<BundledCase> cases;
  bool found = false;
  const auto* suites = bundle->method_test_suites();
  for (flatbuffers::uoffset_t s = 0; suites && s < suites->size(); ++s) {
    const auto* suite = suites->Get(s);
    const std::string name = suite->method_name() ? suite->method_name()->str() : "";
    if (!method.empty() && name != method) continue;
    found = true;
    auto loaded = (*program)->load_method(name);
    if (!loaded.ok()) return loaded.error();
    const auto* tests = suite->test_cases();
    for (size_t c = 0; tests && c < tests->size(); ++c) {
      const auto* test = tests->Get(static_cast<flatbuffers::uoffset_t>(c));
      const std::string where = name + " case " + std::to_string(c);
      BundledCase result{name, c, false, 0, ""};
      std::vector<HostTensor> inputs, expected;
      for (size_t i = 0; test->inputs() && i < test->inputs()->size(); ++i) {
        auto t = tensor_of(test->inputs()->Get(static_cast<flatbuffers::uoffset_t>(i)), where + " input " + std::to_string(i));
        if (!t.ok()) return t.error();
        inputs.push_back(std::move(t.value()));
      }
      for (size_t i = 0; test->expected_outputs() && i < test->expected_outputs()->size(); ++i) {
        auto t = tensor_of(test->expected_outputs()->Get(static_cast<flatbuffers::uoffset_t>(i)),
                           where + " expected output " + std::to_string(i));
        if (!t.ok()) return t.error();
        expected.push_back(std::move(t.value()));
      }
      std::vector<TensorView> views;
      for (const auto& t : inputs) views.push_back(t.view());
      Status ran = (*loaded)->run(views, [&](const std::vector<TensorView>& outputs) {
        if (outputs.size() != expected.size()) {
          result.problem = "the method returned " + std::to_string(outputs.size()) + " output(s), " +
                           std::to_string(expected.size()) + " expected";
          return;
        }
        for (size_t i = 0; i < outputs.size() && result.problem.empty(); ++i) {
          result.problem = compare(outputs[i], expected[i].view(), tolerance, i, result.max_abs_error);
        }
      });
      if (!ran.ok()) result.problem = ran.error().message;
      result.passed = result.problem.empty();
      cases.push_back(std::move(result));
    }
  }
  if (!found) {
    return make_error(ErrorCode::kMethodNotFound,
                      path + " bundles no test cases" + (method.empty() ? std::string() : " for method '" + method + "'"));
  }
  return cases;
}

}  // namespace etkit
