// scaleham._engine: the C++ engine bound into Python (pybind11), for
// scaleham.run and scaleham.fit (python/scaleham/engine.py).
//
// Both take the arguments of `scaleham run` / `scaleham fit` and parse them
// with the command line's own definitions (host/cli_options.hpp): the same
// checks, messages and meaning. Without -o the result is built in memory
// (run_sweep_in_memory, fit_file_image) and handed back as the bytes of the
// HDF5 file the command would have written, which h5py and xarray open from
// memory: the datasets are the file run's, bit for bit. With -o the file is
// written by the crash-safe path of the command line (journal, resume).
//
// The GIL is released while the engine runs; the progress callback takes it
// back on the writer's thread. SIGINT (a notebook's interrupt) stops the run
// after the batch in flight and raises KeyboardInterrupt.
#include <pybind11/functional.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstddef>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "cli_options.hpp"
#include "config.hpp"
#include "cuda_backend.hpp"
#include "driver.hpp"
#include "fit_command.hpp"
#include "interrupt.hpp"
#include "output.hpp"
#include "scaleham/config.hpp"

namespace py = pybind11;

namespace {

/// A refusal or failure of the engine: raised in Python as
/// scaleham._engine.EngineError(exit_code, message), exit codes as the
/// command line's (2 bad input, 1 failure).
struct engine_failure {
  int exit_code;
  std::string message;
};

/// Parses `args` (those after the subcommand's name) as `name`'s options.
void parse_arguments(CLI::App& app, const std::string& name, const std::vector<std::string>& args) {
  if (const std::string message = scaleham::empty_option_value(args); !message.empty())
    throw engine_failure{scaleham::exit_bad_input, message};
  std::vector<std::string> reversed(args.rbegin(), args.rend());  // CLI11 takes them last first
  reversed.push_back(name);
  try {
    app.parse(reversed);
  } catch (const CLI::ParseError& e) {
    throw engine_failure{scaleham::exit_bad_input, "error: " + std::string(e.what())};
  }
  if (!reversed.empty()) throw engine_failure{scaleham::exit_bad_input, "error: unexpected argument " + reversed.back()};
}

/// The provenance line of a run started from Python.
std::string command_line_of(const std::string& name, const std::vector<std::string>& args) {
  std::vector<std::string> words{"scaleham." + name + "(...): scaleham", name};
  words.insert(words.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& word : words) argv.push_back(word.data());
  return scaleham::quoted_command_line(static_cast<int>(argv.size()), argv.data());
}

/// Runs `work` without the GIL, turning the engine's exceptions into
/// engine_failure or KeyboardInterrupt (py::error_already_set).
template <class Work>
auto without_gil(Work work) {
  try {
    py::gil_scoped_release release;
    return work();
  } catch (const engine_failure&) {
    throw;
  } catch (const scaleham::interrupted& e) {
    PyErr_SetString(PyExc_KeyboardInterrupt, e.what());
    throw py::error_already_set();
  } catch (const std::exception& e) {
    const scaleham::failure failed = scaleham::describe_failure(e);
    throw engine_failure{failed.exit_code, failed.message};
  }
}

py::bytes as_bytes(const std::vector<std::byte>& image) {
  return py::bytes(reinterpret_cast<const char*>(image.data()), image.size());
}

/// scaleham._engine.run: returns (file image or None, summary as JSON text).
py::tuple run(const std::vector<std::string>& args, const std::optional<std::string>& config_text,
              const std::string& config_name, const py::object& progress) {
  CLI::App app{"scaleham"};
  scaleham::run_arguments a;
  scaleham::add_run_command(app, a);
  parse_arguments(app, "run", args);
  if (config_text && !a.config_path.empty())
    throw engine_failure{scaleham::exit_bad_input,
                         "error: the configuration is given twice (as " + config_name + " and as " + a.config_path + ")"};
  const bool in_memory = a.options.output_path.empty();
  // The callback is only referred to: the engine copies its options, and a
  // copy of a Python object needs the GIL. What it raises ends the run (the
  // message is taken while the GIL is held).
  if (!progress.is_none())
    a.options.observe = [&progress](std::uint64_t done, std::uint64_t total) {
      py::gil_scoped_acquire gil;
      try {
        progress(done, total);
      } catch (py::error_already_set& e) {
        throw std::runtime_error("the progress callback raised " + std::string(e.what()));
      }
    };
  return without_gil([&] {
    const scaleham::sweep_config config =
        config_text ? scaleham::parse_config_text(*config_text, config_name, a.overrides) : a.config();
    a.resolve(command_line_of("run", args));
    if (a.dry_run) {  // scaleham.estimate: the plan, no file
      const scaleham::run_estimate estimate = scaleham::estimate_run(config, a.options, !in_memory);
      py::gil_scoped_acquire gil;
      return py::make_tuple(py::none(), estimate.to_json().dump());
    }
    if (!in_memory) {
      const scaleham::run_summary summary = scaleham::run_sweep(config, a.options);
      py::gil_scoped_acquire gil;
      return py::make_tuple(py::none(), summary.to_json().dump());
    }
    scaleham::memory_run result = scaleham::run_sweep_in_memory(config, a.options);
    py::gil_scoped_acquire gil;
    return py::make_tuple(as_bytes(result.image), result.summary.to_json().dump());
  });
}

/// scaleham._engine.fit: returns (file image or None, the report as `--json` gives it).
py::tuple fit(const std::vector<std::string>& args) {
  CLI::App app{"scaleham"};
  scaleham::fit_arguments a;
  scaleham::add_fit_command(app, a);
  parse_arguments(app, "fit", args);
  return without_gil([&] {
    a.resolve(command_line_of("fit", args));
    const scaleham::fit_report report = scaleham::run_fit_command(a.options);
    const std::string json =
        scaleham::fit_report_json(report).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    if (!a.options.output_path.empty()) {
      py::gil_scoped_acquire gil;
      return py::make_tuple(py::none(), json);
    }
    const std::vector<std::byte> image = scaleham::fit_file_image(report);
    py::gil_scoped_acquire gil;
    return py::make_tuple(as_bytes(image), json);
  });
}

}  // namespace

PYBIND11_MODULE(_engine, m) {
  m.doc() = "The scaleham engine (C++), bound into Python: use scaleham.run and scaleham.fit.";
  m.attr("version") = SCALEHAM_VERSION_STRING;
  m.attr("cuda_architectures") = scaleham::cuda::compiled_architectures();

  static py::exception<engine_failure> error(m, "EngineError");
  py::register_exception_translator([](std::exception_ptr failure) {
    try {
      if (failure) std::rethrow_exception(failure);
    } catch (const engine_failure& e) {
      PyErr_SetObject(error.ptr(), py::make_tuple(e.exit_code, e.message).ptr());
    }
  });

  m.def("run", &run, py::arg("args"), py::arg("config_text") = py::none(), py::arg("config_name") = "<config dict>",
        py::arg("progress") = py::none(),
        "Runs `scaleham run ARGS` (the config as TOML text when config_text is given). Without -o in ARGS the file "
        "is built in memory: returns (its bytes, the summary as JSON); with -o: (None, the summary); with "
        "--dry-run: (None, the estimate as JSON).");
  m.def("fit", &fit, py::arg("args"),
        "Runs `scaleham fit ARGS`. Without -o: returns (the fit file's bytes, the report as JSON); with -o: (None, "
        "the report).");
}
