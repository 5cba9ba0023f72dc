// Errors as values, in the style of ExecuTorch's Result<T>: every fallible
// call in the core returns a Result or a Status, never throws at the caller.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace etkit {

/// What went wrong, coarse enough for the edges to map onto exit codes and
/// Python exception types.
enum class ErrorCode {
  kIo,              ///< a file could not be opened, read or written
  kInvalidProgram,  ///< the .pte is malformed or the runtime rejected it
  kMethodNotFound,  ///< the program has no method of that name
  kInvalidInput,    ///< inputs do not fit the method (count, dtype, shape, .npy)
  kExecution,       ///< the runtime failed while loading or running a method
  kInvalidArgument, ///< a caller passed a nonsensical option
};

/// Short stable name of an error code, e.g. "invalid input".
const char* error_code_name(ErrorCode code);

struct Error {
  ErrorCode code;
  std::string message;
};

/// The outcome of an operation that returns nothing.
class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Error error) : error_(std::move(error)) {}  // NOLINT: implicit by design
  static Status ok_status() { return {}; }

  bool ok() const { return !error_.has_value(); }
  const Error& error() const { return *error_; }

 private:
  std::optional<Error> error_;
};

/// A value or an Error.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Error error) : v_(std::move(error)) {}  // NOLINT
  Result(Status status) : v_(status.error()) {}  // only from a failed Status

  bool ok() const { return v_.index() == 0; }
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  const Error& error() const { return std::get<1>(v_); }
  Status status() const { return ok() ? Status{} : Status{error()}; }

  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }

 private:
  std::variant<T, Error> v_;
};

/// `text` safe to print: valid UTF-8 with no control characters. Bytes that
/// are not (invalid UTF-8, C0 and C1 controls, DEL, bidirectional overrides)
/// become `\xNN`. Messages quote names read from untrusted files (method,
/// operator and data keys, the runtime's log): a crafted file must not reach
/// the terminal with escape sequences.
std::string printable(std::string_view text);

/// An error whose message is made printable (see printable()).
inline Error make_error(ErrorCode code, const std::string& message) {
  return Error{code, printable(message)};
}

}  // namespace etkit

/// Returns the error from the enclosing function when a Status or Result failed.
#define ETKIT_TRY(expr)                  \
  do {                                   \
    auto&& etkit_try_result_ = (expr);   \
    if (!etkit_try_result_.ok()) {       \
      return etkit_try_result_.error();  \
    }                                    \
  } while (0)
