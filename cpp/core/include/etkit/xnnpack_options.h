// The XNNPACK delegate's process-wide options, as ExecuTorch's backend option
// API sets them (backends/xnnpack/runtime/XNNPACKBackend.h names the keys).
#pragma once

#include <optional>
#include <string>

#include "etkit/result.h"

namespace etkit {

/// How delegate calls share XNNPACK's activation memory (its workspace).
enum class WorkspaceSharing { kDisabled = 0, kPerModel = 1, kGlobal = 2 };

struct XnnpackOptions {
  WorkspaceSharing workspace_sharing = WorkspaceSharing::kDisabled;
  bool weight_cache = false;  ///< packed weights shared across delegate instances
};

/// "disabled", "per-model", "global".
const char* workspace_sharing_name(WorkspaceSharing mode);
/// The mode of one of those names; nullopt for any other text.
std::optional<WorkspaceSharing> workspace_sharing_from_name(const std::string& name);

/// The options in force, read from the delegate; kExecution when this build
/// has no XNNPACK delegate.
[[nodiscard]] Result<XnnpackOptions> xnnpack_options();

/// Sets the options for methods loaded from now on (process-wide).
[[nodiscard]] Status set_xnnpack_options(const XnnpackOptions& options);

}  // namespace etkit
