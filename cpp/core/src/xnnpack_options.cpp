#include "etkit/xnnpack_options.h"

#include <executorch/runtime/backend/interface.h>
#include <executorch/runtime/backend/options.h>

#include "etkit/program.h"

namespace etkit {
namespace rt = executorch::runtime;
namespace {
// Keys and backend name as backends/xnnpack/runtime/XNNPACKBackend.h spells
// them (the wheel ships no such header).
constexpr char kBackend[] = "XnnpackBackend";
constexpr char kWorkspaceSharing[] = "workspace_sharing_mode";
constexpr char kWeightCache[] = "weight_cache_enabled";
}  // namespace

const char* workspace_sharing_name(WorkspaceSharing mode) {
  switch (mode) {
    case WorkspaceSharing::kDisabled: return "disabled";
    case WorkspaceSharing::kPerModel: return "per-model";
    case WorkspaceSharing::kGlobal: return "global";
  }
  return "disabled";
}

std::optional<WorkspaceSharing> workspace_sharing_from_name(const std::string& name) {
  for (auto mode : {WorkspaceSharing::kDisabled, WorkspaceSharing::kPerModel, WorkspaceSharing::kGlobal}) {
    if (name == workspace_sharing_name(mode)) return mode;
  }
  return std::nullopt;
}

Result<XnnpackOptions> xnnpack_options() {
  init_runtime();
  rt::BackendOptions<2> options;
  (void)options.set_option(kWorkspaceSharing, 0);
  (void)options.set_option(kWeightCache, false);
  if (rt::get_option(kBackend, options.view()) != rt::Error::Ok) {
    return make_error(ErrorCode::kExecution, "this build has no XNNPACK delegate to read options from");
  }
  XnnpackOptions out;
  for (const auto& option : options.view()) {
    if (const int* mode = std::get_if<int>(&option.value); mode && std::string(option.key) == kWorkspaceSharing) {
      out.workspace_sharing = static_cast<WorkspaceSharing>(*mode);
    }
    if (const bool* on = std::get_if<bool>(&option.value); on && std::string(option.key) == kWeightCache) {
      out.weight_cache = *on;
    }
  }
  return out;
}

Status set_xnnpack_options(const XnnpackOptions& o) {
  init_runtime();
  rt::BackendOptions<2> options;
  (void)options.set_option(kWorkspaceSharing, static_cast<int>(o.workspace_sharing));
  (void)options.set_option(kWeightCache, o.weight_cache);
  if (const auto err = rt::set_option(kBackend, options.view()); err != rt::Error::Ok) {
    return make_error(ErrorCode::kExecution, std::string("the XNNPACK delegate refused its options (") +
                                                 rt::to_string(err) + ")");
  }
  return {};
}

}  // namespace etkit
