// What the tests of the configuration share: the configuration a file's text gives, the check
// that a bad one is refused with one line naming the option, and a file of the test's own (made
// by mkstemp in /tmp, removed with the object) for the tests that read one through --config.
//
//   expectRefused({"[database]\npool_size = 0\n", "database.pool_size"});
//   test_support::TempConfigFile file("reload");
//   ASSERT_TRUE(file.created());
//   ASSERT_TRUE(file.write("[log]\nlevel = debug\n"));
//   parser.parse(3, std::vector<const char*>{"test", "--config", file.path().c_str()}.data());
#pragma once

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <memory>
#include <ostream>
#include <string>

#include <gtest/gtest.h>

#include "config/config.h"

namespace waybill::test_support {

// The configuration a file with the text `ini` (and nothing on the command line) gives.
inline Result<std::shared_ptr<const Config>> parseIni(const std::string& ini) {
  return ConfigParser("test", "test").parseText(ini);
}

// A configuration file's text that must be refused, and what the error must say.
struct RefusedConfig {
  const char* ini;
  const char* expected_in_error;
};

// How GoogleTest names a case: the file's text and the expectation, escaped as C strings.
inline void PrintTo(const RefusedConfig& refused, std::ostream* out) {
  *out << ::testing::PrintToString(refused.ini) << " -> " << ::testing::PrintToString(refused.expected_in_error);
}

inline void expectRefused(const RefusedConfig& refused) {
  auto config = parseIni(refused.ini);
  ASSERT_FALSE(config.ok());
  EXPECT_NE(config.error().find(refused.expected_in_error), std::string::npos) << config.error();
  EXPECT_EQ(config.error().find('\n'), std::string::npos) << "one line";
}

class TempConfigFile {
 public:
  // The file is /tmp/waybill-<purpose>-XXXXXX.
  explicit TempConfigFile(const std::string& purpose) {
    std::string pattern = "/tmp/waybill-" + purpose + "-XXXXXX";
    const int fd = mkstemp(pattern.data());
    if (fd < 0) return;
    close(fd);
    path_ = pattern;
  }
  ~TempConfigFile() {
    if (created()) std::remove(path_.c_str());
  }
  TempConfigFile(const TempConfigFile&) = delete;
  TempConfigFile& operator=(const TempConfigFile&) = delete;

  bool created() const { return !path_.empty(); }
  const std::string& path() const { return path_; }
  // Replaces the file's text; false when it could not be written.
  bool write(const std::string& text) const { return static_cast<bool>(std::ofstream(path_) << text); }

 private:
  std::string path_;
};

}  // namespace waybill::test_support
