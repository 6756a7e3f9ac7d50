// What the tests of the daemons' metrics share: the text a registry serves on /metrics, and the
// check that lines (samples, `# TYPE ...`) appear in it.
//
//   expectInScrape(scrape(*metrics.registry()), {"waybill_milter_recipients_total 1"});
#pragma once

#include <gtest/gtest.h>
#include <prometheus/collectable.h>
#include <prometheus/text_serializer.h>

#include <initializer_list>
#include <string>
#include <string_view>

namespace waybill::test_support {

inline std::string scrape(const prometheus::Collectable& registry) {
  return prometheus::TextSerializer().Serialize(registry.Collect());
}

// One expectation per line, each failure showing the whole text.
inline void expectInScrape(const std::string& text, std::initializer_list<std::string_view> lines) {
  for (const std::string_view line : lines) EXPECT_NE(text.find(line), std::string::npos) << line << " not in:\n" << text;
}

}  // namespace waybill::test_support
