// Measured-data CSV reader of `scaleham fit` (host/csv.hpp): format, column
// selection, y scales, datasets, and every class of bad input with FILE:LINE.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "csv.hpp"
#include "input_file.hpp"
#include "scratch_directory.hpp"

namespace {

using scaleham::csv_error;
using scaleham::csv_file;
using scaleham::csv_options;
using scaleham::parse_fit_csv;
using scaleham::y_scale;

constexpr double ln10 = 2.302585092994045684;

csv_file parse(const std::string& text, const csv_options& options = {}) {
  return parse_fit_csv(text, "dir/data.csv", options);
}

/// The message of the csv_error that parsing `text` throws ("" if none).
std::string error_of(const std::string& text, const csv_options& options = {}) {
  try {
    parse(text, options);
  } catch (const csv_error& e) {
    return e.what();
  }
  return "";
}

const std::string four_rows = "1,2\n2,3\n3,4\n4,5\n";

TEST(Csv, CommentsBlankLinesWhitespaceAndCrlf) {
  const csv_file f = parse(
      "# a comment\n"
      "\n"
      "   # an indented comment\n"
      " T , tau \r\n"
      "300, 10\r\n"
      "# comment between rows\n"
      "\n"
      "  310 ,5\n"
      "320,\t2.5\n"
      "330,1   \n");
  ASSERT_EQ(f.datasets.size(), 1u);
  EXPECT_EQ(f.datasets[0].name, "data");
  EXPECT_EQ(f.T_column, "T");
  EXPECT_EQ(f.y_column, "tau");
  EXPECT_EQ(f.scale, y_scale::linear);
  EXPECT_EQ(f.first_line[0], 5);
  const std::vector<double> T = {300, 310, 320, 330};
  EXPECT_EQ(f.datasets[0].T, T);
  ASSERT_EQ(f.datasets[0].y.size(), 4u);
  EXPECT_DOUBLE_EQ(f.datasets[0].y[0], std::log(10.0));
  EXPECT_DOUBLE_EQ(f.datasets[0].y[3], 0.0);
}

TEST(Csv, QuotedHeaderAndFields) {
  const csv_file f = parse("\"T_K\",\"tau_s\"\n\"300\",1\n310,2\n320,3\n330,4\n");
  EXPECT_EQ(f.T_column, "T_K");
  EXPECT_EQ(f.y_column, "tau_s");
  EXPECT_EQ(f.datasets[0].T[0], 300.0);
}

TEST(Csv, UnorderedRowsKeepTheirOrder) {
  const csv_file f = parse("T,tau\n330,1\n300,10\n320,2\n310,5\n");
  const std::vector<double> T = {330, 300, 320, 310};
  EXPECT_EQ(f.datasets[0].T, T);
}

TEST(Csv, DefaultColumnsByName) {
  // T found by name wherever it is; y by the first of tau, tau_s, log10_tau, log10_tau_s.
  csv_file f = parse("note,log10_tau,T_K,tau_s\n0,1,300,5\n0,1,310,5\n0,1,320,5\n0,1,330,5\n");
  EXPECT_EQ(f.T_column, "T_K");
  EXPECT_EQ(f.y_column, "tau_s");
  EXPECT_EQ(f.scale, y_scale::linear);
  f = parse("Temperature,extra,log10_tau_s\n300,x,1\n310,x,1\n320,x,1\n330,x,1\n");
  EXPECT_EQ(f.T_column, "Temperature");
  EXPECT_EQ(f.y_column, "log10_tau_s");
  EXPECT_EQ(f.scale, y_scale::log10);
}

TEST(Csv, DefaultColumnsByPosition) {
  const csv_file f = parse("kelvin,eta,other\n300,1,x\n310,2,x\n320,3,x\n330,4,x\n");
  EXPECT_EQ(f.T_column, "kelvin");
  EXPECT_EQ(f.y_column, "eta");
  // The dataset column is skipped when picking by position.
  const csv_file g = parse("dataset,kelvin,eta\na,300,1\na,310,2\na,320,3\na,330,4\n");
  EXPECT_EQ(g.T_column, "kelvin");
  EXPECT_EQ(g.y_column, "eta");
  EXPECT_EQ(g.dataset_column, "dataset");
}

TEST(Csv, ExplicitColumns) {
  csv_options options;
  options.T_column = "temp";
  options.y_column = "visc";
  const csv_file f = parse("visc,x,temp\n1,9,300\n2,9,310\n3,9,320\n4,9,330\n", options);
  EXPECT_EQ(f.T_column, "temp");
  EXPECT_EQ(f.y_column, "visc");
  EXPECT_EQ(f.datasets[0].T[1], 310.0);
  EXPECT_DOUBLE_EQ(f.datasets[0].y[1], std::log(2.0));
}

TEST(Csv, YScales) {
  // By name: log10* and ln_* (case insensitive); log10 values may be negative.
  csv_file f = parse("T,log10_eta_Pa_s\n300,-2\n310,1\n320,2\n330,3\n");
  EXPECT_EQ(f.scale, y_scale::log10);
  EXPECT_DOUBLE_EQ(f.datasets[0].y[0], -2 * ln10);
  f = parse("T,LN_tau\n300,-2\n310,1\n320,2\n330,3\n");
  EXPECT_EQ(f.scale, y_scale::ln);
  EXPECT_DOUBLE_EQ(f.datasets[0].y[0], -2.0);
  f = parse("T,eta_Pa_s\n300,1e10\n310,1\n320,2\n330,3\n");
  EXPECT_EQ(f.scale, y_scale::linear);
  EXPECT_DOUBLE_EQ(f.datasets[0].y[0], std::log(1e10));
  // Forced.
  csv_options options;
  options.scale = y_scale::log10;
  f = parse("T,y\n300,-1\n310,1\n320,2\n330,3\n", options);
  EXPECT_DOUBLE_EQ(f.datasets[0].y[0], -ln10);
  EXPECT_EQ(scaleham::parse_y_scale("ln"), y_scale::ln);
  EXPECT_THROW(scaleham::parse_y_scale("log2"), std::invalid_argument);
}

TEST(Csv, DatasetColumnSplitsInOrderOfFirstAppearance) {
  const csv_file f = parse(
      "dataset,T,tau\n"
      "b,300,10\n"
      "a,300,10\n"
      "b,310,5\n"
      "a,310,5\n"
      "b,320,2\n"
      "a,320,2\n"
      "b,330,1\n"
      "a,330,1\n"
      "a,340,0.5\n");
  ASSERT_EQ(f.datasets.size(), 2u);
  EXPECT_EQ(f.datasets[0].name, "data:b");
  EXPECT_EQ(f.datasets[1].name, "data:a");
  EXPECT_EQ(f.datasets[0].T.size(), 4u);
  EXPECT_EQ(f.datasets[1].T.size(), 5u);
  EXPECT_EQ(f.first_line[0], 2);
  EXPECT_EQ(f.first_line[1], 3);
  csv_options options;
  options.dataset_column = "sample";
  const csv_file g = parse("T,sample,tau\n300,x,1\n310,x,2\n320,x,3\n330,x,4\n", options);
  EXPECT_EQ(g.datasets[0].name, "data:x");
}

// --- every error class names the file and the line ----------------------------

struct bad_case {
  const char* what;
  std::string text;
  const char* line;     // "data.csv:N:"
  const char* message;  // a part of the message
};

TEST(Csv, ErrorsNameFileAndLine) {
  const std::vector<bad_case> cases = {
      {"only comments", "# nothing\n\n# here\n", "dir/data.csv:3:", "no header"},
      {"no rows", "# c\nT,tau\n", "dir/data.csv:2:", "no data rows"},
      {"unknown T column", "T,tau\n" + four_rows, "dir/data.csv:1:", "no column 'temp'"},
      {"non-numeric T", "T,tau\n300,1\n31O,2\n320,3\n330,4\n", "dir/data.csv:3:", "'31O' in column 'T' is not a number"},
      {"non-numeric y", "T,tau\n300,1\n310,2\n320,abc\n330,4\n", "dir/data.csv:4:", "'abc' in column 'tau'"},
      {"trailing garbage", "T,tau\n300,1\n310,2 s\n320,3\n330,4\n", "dir/data.csv:3:", "not a number"},
      {"empty field", "T,tau\n300,1\n310,\n320,3\n330,4\n", "dir/data.csv:3:", "empty value"},
      {"T zero", "T,tau\n300,1\n0,2\n320,3\n330,4\n", "dir/data.csv:3:", "not positive"},
      {"T negative", "T,tau\n300,1\n310,2\n-320,3\n330,4\n", "dir/data.csv:4:", "not positive"},
      {"linear tau zero", "T,tau\n300,1\n310,0\n320,3\n330,4\n", "dir/data.csv:3:", "'tau' is not positive"},
      {"linear tau negative", "T,tau\n300,1\n310,2\n320,3\n330,-4\n", "dir/data.csv:5:", "not positive"},
      {"nan", "T,tau\n300,1\n310,nan\n320,3\n330,4\n", "dir/data.csv:3:", "not finite"},
      {"inf T", "T,tau\ninf,1\n310,2\n320,3\n330,4\n", "dir/data.csv:2:", "not finite"},
      {"overflow", "T,log10_tau\n300,1e308\n310,2\n320,3\n330,4\n", "dir/data.csv:2:", "overflows"},
      {"field count", "T,tau\n300,1\n310,2,7\n320,3\n330,4\n", "dir/data.csv:3:", "3 fields, but the header (line 1) has 2"},
      {"three rows", "# c\nT,tau\n300,1\n310,2\n320,3\n", "dir/data.csv:3:", "3 data rows; a VFT fit needs at least 4"},
      {"small dataset", "dataset,T,tau\na,300,1\na,310,2\na,320,3\na,330,4\nb,300,1\nb,310,1\n", "dir/data.csv:6:",
       "dataset 'data:b' (first row here) has 2 rows"},
      {"empty dataset name", "dataset,T,tau\n,300,1\n", "dir/data.csv:2:", "empty value in dataset column"},
  };
  for (const bad_case& c : cases) {
    csv_options options;
    if (std::string(c.what) == "unknown T column") options.T_column = "temp";
    const std::string message = error_of(c.text, options);
    EXPECT_EQ(message.rfind(c.line, 0), 0u) << c.what << ": " << message;
    EXPECT_NE(message.find(c.message), std::string::npos) << c.what << ": " << message;
  }
}

TEST(Csv, UnknownColumnListsTheAvailable) {
  csv_options options;
  options.y_column = "tau_ms";
  const std::string message = error_of("T,tau,log10_tau\n300,1,0\n", options);
  EXPECT_NE(message.find("'tau_ms' (--y-column)"), std::string::npos) << message;
  EXPECT_NE(message.find("'T', 'tau', 'log10_tau'"), std::string::npos) << message;
  options = {};
  options.dataset_column = "run";
  EXPECT_NE(error_of("T,tau\n" + four_rows, options).find("no column 'run'"), std::string::npos);
}

TEST(Csv, ColumnRolesMustDiffer) {
  csv_options options;
  options.T_column = "tau";
  options.y_column = "tau";
  EXPECT_NE(error_of("tau,x\n" + four_rows, options).find("both"), std::string::npos);
  options = {};
  options.y_column = "dataset";
  EXPECT_NE(error_of("dataset,T\n1,2\n", options).find("dataset column"), std::string::npos);
  // A header with a single column has no y column.
  EXPECT_NE(error_of("T\n300\n").find("dir/data.csv:1:"), std::string::npos);
}

TEST(Csv, LogValuesMayBeNegativeButLinearMayNot) {
  EXPECT_NO_THROW(parse("T,log10_tau\n300,-1\n310,-2\n320,-3\n330,0\n"));
  EXPECT_NO_THROW(parse("T,ln_tau\n300,-1\n310,-2\n320,-3\n330,0\n"));
  EXPECT_THROW(parse("T,tau\n300,-1\n310,-2\n320,-3\n330,0\n"), csv_error);
}

class CsvFiles : public ::testing::Test {
 protected:
  scaleham::testing::scratch_directory scratch{"scaleham_test_csv"};
  const std::filesystem::path& dir = scratch.path();
  std::string write(const std::string& relative, const std::string& text) {
    const std::filesystem::path path = dir / relative;
    std::filesystem::create_directories(path.parent_path());
    std::ofstream(path) << text;
    return path.string();
  }
};

TEST_F(CsvFiles, ReadsFilesAndNamesDatasetsByStem) {
  const std::string a = write("a/glycerol.csv", "T,tau\n" + four_rows);
  const std::string b = write("b/salol.dat", "dataset,T,tau\nx,1,2\nx,2,3\nx,3,4\nx,4,5\n");
  const auto files = scaleham::read_fit_csvs({a, b}, {});
  ASSERT_EQ(files.size(), 2u);
  EXPECT_EQ(files[0].datasets[0].name, "glycerol");
  EXPECT_EQ(files[1].datasets[0].name, "salol:x");
}

TEST_F(CsvFiles, SameStemInTwoDirectoriesGetsPathNames) {
  const std::string a = write("a/run.csv", "T,tau\n" + four_rows);
  const std::string b = write("b/run.csv", "T,tau\n" + four_rows);
  const auto files = scaleham::read_fit_csvs({a, b}, {});
  EXPECT_EQ(files[0].datasets[0].name, a);
  EXPECT_EQ(files[1].datasets[0].name, b);
}

TEST_F(CsvFiles, UnreadableFileEmptyFileAndDirectory) {
  const std::string missing = (dir / "missing.csv").string();
  try {
    scaleham::read_fit_csv(missing, {});
    FAIL() << "no error";
  } catch (const csv_error& e) {
    EXPECT_EQ(std::string(e.what()).rfind(missing + ": cannot open", 0), 0u) << e.what();
  }
  const std::string empty = write("empty.csv", "");
  try {
    scaleham::read_fit_csv(empty, {});
    FAIL() << "no error";
  } catch (const csv_error& e) {
    EXPECT_EQ(std::string(e.what()).rfind(empty + ": the file is empty", 0), 0u) << e.what();
  }
  EXPECT_THROW(scaleham::read_fit_csv(dir.string(), {}), csv_error);
  // The first bad file of several stops the read and is the one named.
  const std::string good = write("good.csv", "T,tau\n" + four_rows);
  const std::string bad = write("bad.csv", "T,tau\n" + four_rows + "5,x\n");
  try {
    scaleham::read_fit_csvs({good, bad}, {});
    FAIL() << "no error";
  } catch (const csv_error& e) {
    EXPECT_EQ(std::string(e.what()).rfind(bad + ":6:", 0), 0u) << e.what();
  }
}

// --- issue 9 item 10: inputs that were read wrongly or reported badly ---------------------

TEST(Csv, CrOnlyCrlfAndLfLineEndsAllCount) {
  const csv_file cr = parse("# old Mac file\rT,tau\r300,10\r310,5\r320,2.5\r330,1\r");
  ASSERT_EQ(cr.datasets.size(), 1u);
  EXPECT_EQ(cr.datasets[0].T.size(), 4u);
  EXPECT_EQ(cr.first_line[0], 3);
  // Line numbers count each CR, CRLF or LF once.
  EXPECT_EQ(error_of("T,tau\r300,1\r\n310,2\n320,x\r330,4\r").rfind("dir/data.csv:4: ", 0), 0u)
      << error_of("T,tau\r300,1\r\n310,2\n320,x\r330,4\r");
  // A UTF-8 byte-order mark (spreadsheets) is not part of the first column's name.
  EXPECT_EQ(parse("\xEF\xBB\xBFT,tau\n" + four_rows).T_column, "T");
}

TEST(Csv, RepeatedColumnNamesAreRefused) {
  EXPECT_EQ(error_of("T_K,T_K\n" + four_rows),
            "dir/data.csv:1: column name 'T_K' appears twice in the header (columns 1 and 2); column names must be "
            "unique");
  EXPECT_NE(error_of("# c\nT,tau,x,tau\n1,2,0,2\n2,3,0,3\n3,4,0,4\n4,5,0,5\n").find(":2: column name 'tau' appears "
                                                                                  "twice in the header (columns 2 "
                                                                                  "and 4)"),
            std::string::npos);
  // Empty names cannot be asked for by name: allowed (a trailing comma).
  EXPECT_NO_THROW(parse("T,tau,,\n1,2,,\n2,3,,\n3,4,,\n4,5,,\n"));
}

TEST(Csv, OnlyDecimalNumbers) {
  // strtod alone reads hexadecimal: 0x2BC would be 700 K.
  EXPECT_EQ(error_of("T,tau\n0x2BC,1\n310,2\n320,3\n330,4\n"),
            "dir/data.csv:2: '0x2BC' in column 'T' is not a number");
  for (const char* bad : {"0x1p3", "nan(1)", "1e", "1e+", ".", "+", "1.2.3", "1,5e3"})
    EXPECT_NE(error_of(std::string("T,log10_tau\n300,1\n310,") + bad + "\n320,3\n330,4\n").find(":3: "),
              std::string::npos)
        << bad;
  for (const char* good : {"1", "-1", "+1.5", ".5", "5.", "1e3", "1E-3", "-2.5e+2"}) {
    const csv_file f = parse(std::string("T,log10_tau\n300,1\n310,") + good + "\n320,3\n330,4\n");
    EXPECT_DOUBLE_EQ(f.datasets[0].y[1] / ln10, std::strtod(good, nullptr)) << good;
  }
  EXPECT_NE(error_of("T,log10_tau\n300,1\n310,-Infinity\n320,3\n330,4\n").find(":3: '-Infinity' in column "
                                                                                "'log10_tau' is not finite"),
            std::string::npos);
}

TEST(Csv, LongFieldsAndNamesAreCappedInMessages) {
  const std::string field(10 << 20, '9');
  const std::string message = error_of("T,tau\n300,1\n310,x" + field + "\n320,3\n330,4\n");
  EXPECT_LT(message.size(), 300u) << message.substr(0, 300);
  EXPECT_EQ(message, "dir/data.csv:3: 'x" + std::string(79, '9') + "… (10485761 bytes)' in column 'tau' is not a number");
  // A header of many columns lists the first 20.
  std::string header = "T";
  for (int i = 0; i < 1000; ++i) header += ",c" + std::to_string(i);
  csv_options options;
  options.y_column = "tau";
  const std::string listed = error_of(header + "\n", options);
  EXPECT_LT(listed.size(), 400u) << listed;
  EXPECT_NE(listed.find("... (1001 columns)"), std::string::npos) << listed;
}

TEST(Csv, BinaryAndUtf16FilesAreNamedAsSuch) {
  EXPECT_EQ(error_of(std::string("T,tau\n300,1\n3\0" "10,2\n320,3\n330,4\n", 31)),
            "dir/data.csv:3: a NUL byte: a binary or UTF-16 file, not UTF-8 text");
  std::string utf16le = "\xFF\xFE";
  for (char c : std::string("T,tau\n300,1\n")) utf16le += std::string{c, '\0'};
  EXPECT_EQ(error_of(utf16le).rfind("dir/data.csv:1: a UTF-16", 0), 0u) << error_of(utf16le);
  EXPECT_NE(error_of(utf16le.substr(2)).find("binary or UTF-16"), std::string::npos);
}

TEST_F(CsvFiles, DuplicateDatasetNamesAreRefused) {
  const std::string a = write("x.csv", "dataset,T,tau\nb,1,2\nb,2,3\nb,3,4\nb,4,5\n");
  const std::string b = write("x:b.csv", "# the same name\nT,tau\n" + four_rows);
  try {
    scaleham::read_fit_csvs({a, b}, {});
    FAIL() << "no error";
  } catch (const csv_error& e) {
    EXPECT_EQ(std::string(e.what()), b + ":3: dataset name 'x:b' is also the name of a dataset of " + a +
                                         " (line 2); every dataset needs its own name: rename a file or a dataset "
                                         "value");
  }
  try {
    scaleham::read_fit_csvs({a, a}, {});
    FAIL() << "no error";
  } catch (const csv_error& e) {
    EXPECT_EQ(std::string(e.what()), a + ": the file is given twice");
  }
}

TEST_F(CsvFiles, OnlyRegularFilesOfBoundedSize) {
  const auto message_of = [](const std::string& path) {
    try {
      scaleham::read_fit_csv(path, {});
    } catch (const csv_error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_EQ(message_of("/dev/zero"), "/dev/zero: is a character device, not a regular file");
  EXPECT_EQ(message_of(dir.string()), dir.string() + ": is a directory, not a regular file");
  // A FIFO without a writer: refused at once instead of blocking in open().
  const std::string fifo = (dir / "pipe.csv").string();
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  EXPECT_EQ(message_of(fifo), fifo + ": is a FIFO (named pipe), not a regular file");
  // Over the limit (a sparse file: nothing is written or read).
  const std::string big = write("big.csv", "T,tau\n");
  std::filesystem::resize_file(big, scaleham::max_csv_bytes + 1);
  EXPECT_EQ(message_of(big), big + ": is 1073741825 bytes; a CSV file may have at most 1073741824 (1 GiB)");
  const std::string loop = (dir / "loop.csv").string();
  std::filesystem::create_symlink(loop, loop);
  EXPECT_NE(message_of(loop).find("symbolic links"), std::string::npos) << message_of(loop);
}

TEST(Csv, NumbersAreStrtodsValuesBitForBit) {
  // The reader parses with std::from_chars on views into the text (issue 10);
  // every accepted spelling must give the double strtod gives (parse_decimal,
  // the reader before), also at the edges: subnormals, underflow to 0 (a
  // "not positive" temperature), the largest finite, a leading '+', 17 and
  // 25 significant digits, and random doubles in three formats.
  std::vector<std::string> spellings = {"300", "+300", "300.", ".5e3", "3E2", "3e+02", "299.99999999999999999999999",
                                        "4.9406564584124654e-324", "2.2250738585072011e-308", "1e-320",
                                        "1.7976931348623157e308", "0.1", "7e-5", "00012.500"};
  std::mt19937_64 rng(11);
  std::uniform_real_distribution<double> exponent(-300, 300), mantissa(1, 10);
  char buffer[64];
  for (int k = 0; k < 300; ++k) {
    const double v = mantissa(rng) * std::pow(10.0, std::floor(exponent(rng)));
    const char* format = k % 3 == 0 ? "%.17g" : k % 3 == 1 ? "%.6e" : "%.9f";
    std::snprintf(buffer, sizeof buffer, format, v);
    spellings.push_back(buffer);
  }
  for (const std::string& text : spellings) {
    // In the y column on the ln scale, where any finite value is taken as it is.
    csv_options options;
    options.scale = y_scale::ln;
    const csv_file f = parse("T,y\n300," + text + "\n310,1\n320,2\n330,3\n", options);
    const double expected = std::strtod(text.c_str(), nullptr);
    EXPECT_EQ(f.datasets[0].y[0], expected) << text;
    EXPECT_EQ(std::signbit(f.datasets[0].y[0]), std::signbit(expected)) << text;
  }
  // Out of range: strtod's ±HUGE_VAL is "not finite", its 0 "not positive", as before.
  EXPECT_NE(error_of("T,tau\n1e400,1\n310,2\n320,3\n330,4\n").find("'1e400' in column 'T' is not finite"),
            std::string::npos);
  EXPECT_NE(error_of("T,tau\n1e-400,1\n310,2\n320,3\n330,4\n").find("temperature 1e-400 in column 'T' is not positive"),
            std::string::npos);
  for (const char* bad : {"0x2BC", "1e", "e5", ".", "+", "-", "1.2.3", "1e5.5", "--1", "+-1", "0x1p3", "1,5"})
    EXPECT_NE(error_of(std::string("T,tau\n") + bad + ",1\n310,2\n320,3\n330,4\n"), "") << bad;
}

TEST(Csv, ManyRowsAndInterleavedDatasets) {
  // 20 000 rows in 3 datasets whose rows alternate (the map lookup, not only
  // the previous row's dataset): every value lands in its dataset, in order.
  std::string text = "dataset,T,ln_tau\n";
  for (int i = 0; i < 20000; ++i) text += "d" + std::to_string(i % 3) + "," + std::to_string(100 + i) + "," + std::to_string(i) + "\n";
  const csv_file f = parse(text);
  ASSERT_EQ(f.datasets.size(), 3u);
  for (int d = 0; d < 3; ++d) {
    EXPECT_EQ(f.datasets[d].name, "data:d" + std::to_string(d));
    ASSERT_EQ(f.datasets[d].T.size(), std::size_t(20000 / 3 + (d < 20000 % 3)));
    for (std::size_t k = 0; k < f.datasets[d].T.size(); ++k) {
      EXPECT_EQ(f.datasets[d].T[k], 100.0 + double(3 * k + d));
      EXPECT_EQ(f.datasets[d].y[k], double(3 * k + d));
    }
  }
}

}  // namespace
