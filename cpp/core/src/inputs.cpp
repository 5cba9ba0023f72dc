#include "etkit/inputs.h"

#include "etkit/npy.h"

namespace etkit {

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
    auto t = read_npy(npy_paths[i]);
    if (!t.ok()) return t.error();
    ETKIT_TRY(check_fits(method.inputs[i], t->view(), "input " + std::to_string(i) + " (" + npy_paths[i] + ")"));
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
