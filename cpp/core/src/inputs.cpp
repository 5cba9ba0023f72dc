#include "etkit/inputs.h"

#include "etkit/npy.h"

namespace etkit {
namespace {
bool is_npy_path(const std::string& path) { return path.size() >= 4 && path.compare(path.size() - 4, 4, ".npy") == 0; }
}  // namespace

Result<std::vector<HostTensor>> load_inputs(const MethodInfo& method, const std::vector<std::string>& npy_paths,
                                            uint64_t seed) {
  std::vector<HostTensor> tensors;
  if (npy_paths.empty()) {
    for (size_t i = 0; i < method.inputs.size(); ++i) tensors.push_back(random_tensor(method.inputs[i], seed + i));
    return tensors;
  }
  if (npy_paths.size() != method.inputs.size()) {
    return make_error(ErrorCode::kInvalidInput, "method '" + method.name + "' takes " +
                                                    std::to_string(method.inputs.size()) + " input(s), got " +
                                                    std::to_string(npy_paths.size()) + " --input file(s)");
  }
  for (size_t i = 0; i < npy_paths.size(); ++i) {
    const TensorSpec& spec = method.inputs[i];
    const std::string what = "input " + std::to_string(i) + " (" + npy_paths[i] + ")";
    // A scalar input takes its value on the command line ("3", "0.5", "true").
    if (spec.is_scalar() && !is_npy_path(npy_paths[i])) {
      const auto value = parse_scalar(npy_paths[i], spec.kind);
      if (!value) {
        return make_error(ErrorCode::kInvalidInput, what + ": input " + std::to_string(i) + " is " +
                                                        (spec.kind == ValueKind::kInt ? "an " : "a ") +
                                                        spec.to_string() + "; give its value (e.g. " +
                                                        scalar_string(spec.exported) + ") or a .npy file");
      }
      HostTensor t = scalar_tensor(*value);
      ETKIT_TRY(check_fits(spec, t.view(), what));
      tensors.push_back(std::move(t));
      continue;
    }
    auto t = read_npy(npy_paths[i]);
    if (!t.ok()) return t.error();
    ETKIT_TRY(check_fits(spec, t->view(), what));
    tensors.push_back(std::move(t.value()));
  }
  return tensors;
}

std::vector<TensorView> views_of(const std::vector<HostTensor>& tensors) {
  std::vector<TensorView> views;
  views.reserve(tensors.size());
  for (const auto& t : tensors) views.push_back(t.view());
  return views;
}

}  // namespace etkit
