// et-run: runs and benchmarks an ExecuTorch program, with no Python.
// Parses flags and prints; the work is done by etkit::core.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "etkit/benchmark.h"
#ifdef ETKIT_WITH_BUNDLED
#include "etkit/bundled.h"
#endif
#include "etkit/inputs.h"
#include "etkit/npy.h"
#include "etkit/profiler.h"
#include "etkit/program.h"
#include "etkit/threads.h"
#include "etkit/xnnpack_options.h"

namespace {

constexpr int kExitRejected = 1;  // the program or its inputs were rejected
constexpr int kExitUsage = 2;     // bad command line

struct Options {
  std::string program;
  std::string method = "forward";
  std::vector<std::string> inputs;
  std::vector<std::string> data;
  std::string output_dir;
  uint64_t seed = 0;
  int64_t threads = 0;  // 0: leave the pool as the runtime made it
  std::string xnnpack_workspace;     // "": as the runtime has it
  std::string xnnpack_weight_cache;  // "": as the runtime has it
  bool bench = false;
  etkit::BenchParams bench_params;
  std::string json;
  bool profile = false;
  std::string etdump;
  bool verbose = false;
  bool verify = false;
  bool describe = false;
  bool method_given = false;
  double rtol = 1e-3;
  double atol = 1e-5;
};

// --error-format json: one JSON line on stderr naming the error's kind, so that
// a host driving et-run on a device (etkit.Device) raises the same exception
// class as etkit.Runner would, without parsing messages.
bool g_json_errors = false;

int fail(const etkit::Error& e) {
  if (g_json_errors) {
    const nlohmann::json j = {{"error", etkit::error_code_name(e.code)}, {"message", e.message}};
    std::fprintf(stderr, "%s\n", j.dump().c_str());
  } else {
    std::fprintf(stderr, "et-run: error: %s\n", e.message.c_str());
  }
  return e.code == etkit::ErrorCode::kInvalidArgument ? kExitUsage : kExitRejected;
}

// A few values of a tensor, or its range when it is large.
std::string preview(const etkit::TensorView& t) {
  const int64_t n = etkit::element_count(t.shape);
  if (t.data == nullptr || n == 0) return "(empty)";
  auto at = [&](int64_t i) -> double {
    switch (t.dtype) {
      case etkit::ScalarType::Float: return static_cast<const float*>(t.data)[i];
      case etkit::ScalarType::Double: return static_cast<const double*>(t.data)[i];
      case etkit::ScalarType::Long: return static_cast<double>(static_cast<const int64_t*>(t.data)[i]);
      case etkit::ScalarType::Int: return static_cast<const int32_t*>(t.data)[i];
      case etkit::ScalarType::Short: return static_cast<const int16_t*>(t.data)[i];
      case etkit::ScalarType::Char: return static_cast<const int8_t*>(t.data)[i];
      case etkit::ScalarType::Byte: return static_cast<const uint8_t*>(t.data)[i];
      case etkit::ScalarType::Bool: return static_cast<const bool*>(t.data)[i];
      case etkit::ScalarType::Half: return static_cast<const executorch::aten::Half*>(t.data)[i];
      case etkit::ScalarType::BFloat16: return static_cast<const executorch::aten::BFloat16*>(t.data)[i];
      default: return NAN;
    }
  };
  char buf[64];
  std::string s;
  if (n <= 8) {
    s = "[";
    for (int64_t i = 0; i < n; ++i) {
      std::snprintf(buf, sizeof buf, "%s%.6g", i ? ", " : "", at(i));
      s += buf;
    }
    return s + "]";
  }
  double lo = at(0), hi = at(0), sum = 0;
  for (int64_t i = 0; i < n; ++i) {
    const double v = at(i);
    lo = std::min(lo, v);
    hi = std::max(hi, v);
    sum += v;
  }
  std::snprintf(buf, sizeof buf, "min %.6g  max %.6g  mean %.6g", lo, hi, sum / static_cast<double>(n));
  return buf;
}

// `specs` (may be shorter) names scalars as such: "int = 3", not int64[].
void print_tensors(const char* kind, const std::vector<etkit::TensorView>& tensors,
                   const std::vector<etkit::TensorSpec>& specs = {}) {
  for (size_t i = 0; i < tensors.size(); ++i) {
    const auto& t = tensors[i];
    if (i < specs.size() && specs[i].is_scalar()) {
      const auto value = etkit::scalar_of(t, specs[i].kind);
      std::printf("%-6s %zu  %-24s %s\n", kind, i, etkit::value_kind_name(specs[i].kind),
                  value ? etkit::scalar_string(*value).c_str() : "?");
      continue;
    }
    std::printf("%-6s %zu  %-24s %s\n", kind, i, (etkit::dtype_name(t.dtype) + etkit::shape_string(t.shape)).c_str(),
                preview(t).c_str());
  }
}

// A duration for people: "1.234 ms", "651.2 us" below a millisecond, "37 ns"
// below a microsecond. JSON keeps milliseconds.
std::string duration(double ms) {
  char buf[32];
  if (ms >= 1.0) std::snprintf(buf, sizeof buf, "%.3f ms", ms);
  else if (ms >= 1e-3) std::snprintf(buf, sizeof buf, "%.1f us", ms * 1e3);
  else std::snprintf(buf, sizeof buf, "%.0f ns", ms * 1e6);
  return buf;
}

void print_bench(const etkit::BenchReport& r) {
  const auto& l = r.latency_ms;
  std::printf("benchmark  %s  method %s  threads %u\n", r.model.c_str(), r.method.c_str(), r.threads);
  std::printf("  program load       %13s\n", duration(r.load_ms).c_str());
  std::printf("  method load        %13s\n", duration(r.method_load_ms).c_str());
  std::printf("  first inference    %13s\n", duration(r.first_inference_ms).c_str());
  std::printf("  timed runs         %10lld  (after %lld warm-up, %.2f s)\n", static_cast<long long>(r.iterations),
              static_cast<long long>(r.warmup), r.total_seconds);
  std::printf("  latency            min %s  p50 %s  p90 %s  p99 %s  max %s\n", duration(l.min).c_str(),
              duration(l.p50).c_str(), duration(l.p90).c_str(), duration(l.p99).c_str(), duration(l.max).c_str());
  std::printf("                     mean %s  std %s\n", duration(l.mean).c_str(), duration(l.std).c_str());
  std::printf("  peak RSS           %10.1f MiB\n", static_cast<double>(r.peak_rss_bytes) / (1 << 20));
  std::printf("  planned memory     %10zu bytes\n", r.planned_memory_bytes);
}

void print_profile(const etkit::Profile& p) {
  double sum = 0;
  for (const auto& op : p.ops) sum += op.ms;
  std::printf("profile  method %s  %lld run(s), %s per traced run\n", p.method.c_str(),
              static_cast<long long>(p.runs), duration(p.execute_ms).c_str());
  std::printf("  %-44s %-11s %6s %12s %7s\n", "name", "kind", "calls", "time/run", "share");
  for (const auto& op : p.ops) {
    std::string name = op.name;
    if (name.size() > 44) name = name.substr(0, 41) + "...";  // keep the table a table
    const double share = p.execute_ms > 0 ? 100.0 * op.ms / p.execute_ms : 0.0;
    char share_text[16];
    if (share > 0 && share < 0.1) std::snprintf(share_text, sizeof share_text, "<0.1%%");
    else std::snprintf(share_text, sizeof share_text, "%.1f%%", share);
    std::printf("  %-44s %-11s %6lld %12s %7s\n", name.c_str(), op.kind.c_str(), static_cast<long long>(op.calls),
                duration(op.ms).c_str(), share_text);
  }
}

etkit::Status write_text(const std::string& path, const std::string& text) {
  if (path == "-") {
    std::fwrite(text.data(), 1, text.size(), stdout);
    std::fputc('\n', stdout);
    return {};
  }
  errno = 0;
  std::ofstream out(path, std::ios::trunc);
  out << text << '\n';
  if (!out.flush()) {
    return etkit::make_error(etkit::ErrorCode::kIo, "cannot write " + path + ": " + std::strerror(errno ? errno : EIO));
  }
  return {};
}

// Checked before any work, so that a typo in a path does not cost a whole
// benchmark: the file can be created (or rewritten). Leaves nothing behind.
etkit::Status check_writable(const std::string& flag, const std::string& path) {
  if (path == "-") return {};
  struct stat st {};
  const bool existed = ::stat(path.c_str(), &st) == 0;
  if (existed && S_ISDIR(st.st_mode)) {
    return etkit::make_error(etkit::ErrorCode::kInvalidArgument, flag + " " + path + " is a directory; give a file");
  }
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) {
    return etkit::make_error(etkit::ErrorCode::kIo, "cannot write " + flag + " " + path + ": " + std::strerror(errno));
  }
  ::close(fd);
  if (!existed) ::unlink(path.c_str());
  return {};
}

// --output-dir: made when missing (with its parents), as `mkdir -p` would.
etkit::Status make_output_dir(const std::string& dir) {
  std::error_code made;
  std::filesystem::create_directories(dir, made);
  std::error_code ignored;
  if (std::filesystem::exists(dir, ignored) && !std::filesystem::is_directory(dir, ignored)) {
    return etkit::make_error(etkit::ErrorCode::kIo, "--output-dir " + dir + " is not a directory");
  }
  if (made) return etkit::make_error(etkit::ErrorCode::kIo, "cannot make --output-dir " + dir + ": " + made.message());
  if (::access(dir.c_str(), W_OK) != 0) {
    return etkit::make_error(etkit::ErrorCode::kIo, "cannot write to --output-dir " + dir + ": " + std::strerror(errno));
  }
  return {};
}

#ifdef ETKIT_WITH_BUNDLED
// --verify: the bundled inputs through the program, outputs against the bundled ones.
int verify(const Options& o) {
  auto cases = etkit::verify_bundled(o.program, o.method_given ? o.method : "", etkit::BundledTolerance{o.rtol, o.atol});
  if (!cases.ok()) return fail(cases.error());
  size_t failed = 0;
  for (const auto& c : *cases) {
    std::printf("%-8s %s case %zu  max |error| %.3g%s%s\n", c.passed ? "ok" : "MISMATCH", c.method.c_str(), c.index,
                c.max_abs_error, c.passed ? "" : "  ", c.problem.c_str());
    failed += c.passed ? 0 : 1;
  }
  std::printf("%zu passed, %zu failed (rtol %g, atol %g)\n", cases->size() - failed, failed, o.rtol, o.atol);
  return failed ? kExitRejected : 0;
}
#endif

int run(const Options& o) {
  etkit::set_runtime_log_echo(o.verbose);
#ifdef ETKIT_WITH_BUNDLED
  if (o.verify) return verify(o);
  if (etkit::is_bundled_program(o.program)) {
    return fail(etkit::make_error(etkit::ErrorCode::kInvalidProgram,
                                  o.program + " is a bundled program (.bpte): check it with --verify"));
  }
#endif
  etkit::exit_on_runtime_abort(1);  // a program the runtime can't run is rejected: exit 1, not SIGABRT
  if (o.threads > 0) {
    if (auto s = etkit::set_thread_count(o.threads); !s.ok()) return fail(s.error());
  }
  if (!o.xnnpack_workspace.empty() || !o.xnnpack_weight_cache.empty()) {
    auto options = etkit::xnnpack_options();
    if (!options.ok()) return fail(options.error());
    if (!o.xnnpack_workspace.empty()) {
      options->workspace_sharing = *etkit::workspace_sharing_from_name(o.xnnpack_workspace);  // checked at parse
    }
    if (!o.xnnpack_weight_cache.empty()) options->weight_cache = o.xnnpack_weight_cache == "on";
    if (auto s = etkit::set_xnnpack_options(*options); !s.ok()) return fail(s.error());
  }

  // Output paths first: a mistake there is found before a minute of work.
  if (!o.output_dir.empty()) {
    if (auto s = make_output_dir(o.output_dir); !s.ok()) return fail(s.error());
  }
  if (!o.json.empty()) {
    if (auto s = check_writable("--json", o.json); !s.ok()) return fail(s.error());
  }
  if (!o.etdump.empty()) {
    if (auto s = check_writable("--etdump", o.etdump); !s.ok()) return fail(s.error());
  }

  auto program = etkit::Program::load(o.program, o.data);
  if (!program.ok()) return fail(program.error());
  auto info = (*program)->method_info(o.method);
  if (!info.ok()) return fail(info.error());
  auto method = (*program)->load_method(o.method);
  if (!method.ok()) return fail(method.error());
  // The loaded method's info, not the program's: only it knows which inputs
  // are dynamic, so that any shape within the bounds is accepted.
  if (o.describe) {
    std::printf("%s\n", etkit::to_json((*method)->info()).c_str());
    return 0;
  }
  auto inputs = etkit::load_inputs((*method)->info(), o.inputs, o.seed);
  if (!inputs.ok()) return fail(inputs.error());
  const auto views = etkit::views_of(*inputs);

  const bool json_to_stdout = o.json == "-";
  if (!json_to_stdout) {
    std::printf("program %s (%zu bytes)  method %s  threads %u\n", o.program.c_str(), (*program)->file_size(),
                (*method)->info().name.c_str(), etkit::thread_count());  // escaped, as the file may spell it otherwise
  }

  if (o.bench) {
    auto report = etkit::run_benchmark(**program, **method, views, o.bench_params);
    if (!report.ok()) return fail(report.error());
    if (!json_to_stdout) print_bench(*report);
    if (!o.json.empty()) {
      if (auto s = write_text(o.json, etkit::to_json(*report)); !s.ok()) return fail(s.error());
    }
  } else {
    std::vector<etkit::Status> write_errors;
    auto status = (*method)->run(views, [&](const std::vector<etkit::TensorView>& outputs) {
      if (!json_to_stdout) {
        print_tensors("input", views, (*method)->info().inputs);
        print_tensors("output", outputs);
      }
      for (size_t i = 0; i < outputs.size() && !o.output_dir.empty(); ++i) {
        auto s = etkit::write_npy(o.output_dir + "/output_" + std::to_string(i) + ".npy", outputs[i]);
        if (!s.ok()) write_errors.push_back(s);
      }
    });
    if (!status.ok()) return fail(status.error());
    if (!write_errors.empty()) return fail(write_errors.front().error());
    if (!o.output_dir.empty() && !json_to_stdout) std::printf("wrote %zu output(s) to %s\n", (*method)->info().outputs.size(), o.output_dir.c_str());
  }

  if (o.profile) {
    const int64_t runs = o.bench ? std::min<int64_t>(o.bench_params.iterations, 1000) : 20;
    auto profile = etkit::profile_method(**program, o.method, views, /*warmup=*/3, runs);
    if (!profile.ok()) return fail(profile.error());
    if (!o.bench && !o.json.empty()) {  // --profile --json: the rows as JSON (with --bench the JSON is the benchmark's)
      if (auto s = write_text(o.json, etkit::to_json(*profile)); !s.ok()) return fail(s.error());
    } else {
      print_profile(*profile);
    }
  }
  if (!o.etdump.empty()) {
    if (auto s = etkit::write_etdump(**program, o.method, views, 1, o.etdump); !s.ok()) return fail(s.error());
    if (!json_to_stdout) std::printf("wrote ETDump to %s\n", o.etdump.c_str());
  }
  return 0;
}

}  // namespace

// A numeric flag's bound, said the way etkit.Runner says it ("threads must
// be 1 or more") rather than CLI11's range of doubles.
CLI::Validator at_least(const std::string& what, double lo) {
  return CLI::Validator(
      [what, lo](std::string& text) -> std::string {
        char* end = nullptr;
        errno = 0;
        const double v = std::strtod(text.c_str(), &end);
        if (text.empty() || *end != '\0' || errno == ERANGE || std::isnan(v)) {
          return what + " must be a number, got '" + text + "'";
        }
        if (v < lo) {
          char bound[32];
          std::snprintf(bound, sizeof bound, "%g", lo);
          return what + " must be " + bound + " or more, got " + text;
        }
        return {};
      },
      "", "");
}

// Only that the text is a number: the bounds are the core's (BenchParams::validate).
CLI::Validator numeric(const std::string& what) { return at_least(what, -HUGE_VAL); }

int main(int argc, char** argv) {
  Options o;
  CLI::App app{"et-run: run and benchmark an ExecuTorch program (.pte) natively."};
  app.name("et-run");  // argv[0] may be a long absolute path
  app.set_version_flag("--version", etkit::build_description());
  app.add_option("program", o.program, "the .pte file")->required();
  auto* method = app.add_option("--method", o.method, "method to run")->capture_default_str();
  app.add_option("--input", o.inputs,
                 "input .npy file, once per input, in order; a scalar input (int, float, bool) takes its value, "
                 "e.g. 3 or true (default: seeded random inputs, scalars at their exported values)");
  app.add_option("--data", o.data,
                 "a .ptd file holding tensors the program keeps outside itself (weights exported as external "
                 "constants); repeat for several");
  app.add_option("--output-dir", o.output_dir, "write output_<i>.npy files here (made if missing)");
  app.add_option("--seed", o.seed, "seed of the generated inputs")->capture_default_str()->check(at_least("seed", 0));
  app.add_option("--threads", o.threads, "threads in the pool XNNPACK uses (default: one per core)")
      ->check(at_least("threads", 1));
  app.add_flag("--bench", o.bench, "benchmark: warm-up runs, then timed runs with statistics");
  app.add_option("--xnnpack-workspace", o.xnnpack_workspace,
                 "how XNNPACK delegate calls share activation memory: disabled, per-model or global "
                 "(default: as the runtime was built)")
      ->check(CLI::Validator(
          [](std::string& text) -> std::string {
            if (etkit::workspace_sharing_from_name(text)) return {};
            return "xnnpack-workspace must be disabled, per-model or global, got '" + text + "'";
          },
          "", ""));
  app.add_option("--xnnpack-weight-cache", o.xnnpack_weight_cache,
                 "share XNNPACK's packed weights across delegate instances: on or off (default: as built)")
      ->check(CLI::IsMember({"on", "off"}));
  auto* warmup = app.add_option("--warmup", o.bench_params.warmup, "untimed runs before timing (needs --bench)")
                     ->capture_default_str()
                     ->check(numeric("warmup"));
  auto* iterations = app.add_option("--iterations", o.bench_params.iterations,
                                    "at least this many timed runs (needs --bench)")
                         ->capture_default_str()
                         ->check(numeric("iterations"));
  auto* min_s = app.add_option("--min-seconds", o.bench_params.min_seconds,
                               "at least this long in timed runs (needs --bench)")
                    ->capture_default_str()
                    ->check(numeric("min-seconds"));
  auto* max_s = app.add_option("--max-seconds", o.bench_params.max_seconds,
                               "at most this long in timed runs, 0: no limit (needs --bench)")
                    ->capture_default_str()
                    ->check(numeric("max-seconds"));
  auto* json = app.add_option("--json", o.json,
                              "needs --bench or --profile: write the benchmark (with --bench) or the --profile rows "
                              "as JSON to PATH ('-': stdout)");
  app.add_flag("--profile", o.profile, "per-operator and per-delegate timings");
  app.add_option("--etdump", o.etdump, "write a raw ETDump of one traced run to PATH");
  app.add_flag("--verbose", o.verbose, "print the runtime's own log lines");
  app.add_flag("--describe", o.describe, "print the method's inputs and outputs (dtype, shape, dynamism) as JSON; run nothing");
  std::string error_format = "text";
  app.add_option("--error-format", error_format, "errors on stderr as text or as one JSON line {error, message}")
      ->capture_default_str()
      ->check(CLI::IsMember({"text", "json"}));
#ifdef ETKIT_WITH_BUNDLED
  auto* verify_flag = app.add_flag("--verify", o.verify,
                                   "PROGRAM is a .bpte: run its bundled inputs, compare with its expected outputs "
                                   "(every method unless --method)");
  auto* rtol = app.add_option("--rtol", o.rtol, "relative tolerance of --verify")->capture_default_str()->check(at_least("rtol", 0));
  auto* atol = app.add_option("--atol", o.atol, "absolute tolerance of --verify")->capture_default_str()->check(at_least("atol", 0));
#endif

  try {
    app.parse(argc, argv);
    g_json_errors = error_format == "json";
    o.method_given = method->count() > 0;
#ifdef ETKIT_WITH_BUNDLED
    for (auto* opt : {rtol, atol}) {
      if (opt->count() > 0 && !o.verify) throw CLI::ValidationError(opt->get_name(), "needs --verify");
    }
    if (o.verify && (o.bench || o.profile || !o.inputs.empty() || !o.output_dir.empty() || !o.etdump.empty())) {
      throw CLI::ValidationError(verify_flag->get_name(), "runs the bundled inputs: it takes no --input, --output-dir, "
                                                          "--bench, --profile or --etdump");
    }
#endif
    for (auto* opt : {warmup, iterations, min_s, max_s}) {
      if (opt->count() > 0 && !o.bench) throw CLI::ValidationError(opt->get_name(), "needs --bench");
    }
    if (json->count() > 0 && !o.bench && !o.profile) throw CLI::ValidationError("--json", "needs --bench or --profile");
    if (auto problem = o.bench_params.validate(); !problem.empty()) throw CLI::ValidationError(problem);
  } catch (const CLI::CallForHelp&) {
    std::cout << app.help();
    return 0;
  } catch (const CLI::CallForVersion&) {
    std::printf("%s\n", etkit::build_description().c_str());
    return 0;
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "et-run: %s\nRun 'et-run --help' for the flags.\n", e.what());
    return kExitUsage;
  }

  try {
    return run(o);
  } catch (const std::bad_alloc&) {
    std::fprintf(stderr, "et-run: error: out of memory\n");
  } catch (const std::exception& e) {
    std::fprintf(stderr, "et-run: error: %s\n", e.what());
  }
  return kExitRejected;
}
