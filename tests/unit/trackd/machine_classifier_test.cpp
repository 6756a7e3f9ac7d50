#include "track/machine_classifier.h"

#include <gtest/gtest.h>

namespace waybill::track {
namespace {

constexpr const char* kChrome =
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36";
constexpr const char* kIphoneMail = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15";

TEST(MachineClassifier, OpensByProxiesAreFlagged) {
  const MachineClassifier classifier;
  EXPECT_EQ(classifier.classifyOpen("203.0.113.9", "Mozilla/5.0"), "apple_mpp");
  EXPECT_EQ(classifier.classifyOpen("17.58.100.1", kIphoneMail), "apple_mpp");
  EXPECT_EQ(classifier.classifyOpen("66.249.84.1", "Mozilla/5.0 (via ggpht.com GoogleImageProxy)"),
            "google_image_proxy");
  EXPECT_EQ(classifier.classifyOpen("203.0.113.9", "YahooMailProxy; https://help.yahoo.com"), "yahoo_image_proxy");
  EXPECT_EQ(classifier.classifyOpen("203.0.113.9", ""), "no_user_agent");
}

TEST(MachineClassifier, PeopleAreNotFlagged) {
  MachineClassifier classifier;
  EXPECT_EQ(classifier.classifyOpen("203.0.113.9", kChrome), "");
  EXPECT_EQ(classifier.classifyOpen("2001:db8::1", kIphoneMail), "");
  EXPECT_EQ(classifier.classifyOpen("", kChrome), "");
  EXPECT_EQ(classifier.classifyClick(Uuid::random(), "https://a.example/", "203.0.113.9", kChrome, 1'000'000), "");
}

TEST(MachineClassifier, ScannersAreFlagged) {
  MachineClassifier classifier;
  const Uuid r = Uuid::random();
  EXPECT_EQ(classifier.classifyClick(r, "u1", "198.51.100.1", "Mozilla/5.0 (compatible; Barracuda)", 0), "link_scanner");
  EXPECT_EQ(classifier.classifyClick(Uuid::random(), "u", "198.51.100.1", "curl/8.0", 0), "http_library");
  EXPECT_EQ(classifier.classifyClick(Uuid::random(), "u", "198.51.100.1", "Mozilla/5.0 HeadlessChrome/120", 0),
            "headless_browser");
}

TEST(MachineClassifier, SeveralLinksInOneSecondAreABurst) {
  MachineClassifier classifier;
  const Uuid r = Uuid::random();
  EXPECT_EQ(classifier.classifyClick(r, "https://a.example/1", "", kChrome, 10'000'000), "");
  EXPECT_EQ(classifier.classifyClick(r, "https://a.example/1", "", kChrome, 10'100'000), "");  // same link again
  EXPECT_EQ(classifier.classifyClick(r, "https://a.example/2", "", kChrome, 10'200'000), "click_burst");
  EXPECT_EQ(classifier.classifyClick(r, "https://a.example/3", "", kChrome, 15'000'000), "");  // seconds later
  EXPECT_EQ(classifier.classifyClick(Uuid::random(), "https://a.example/4", "", kChrome, 15'000'001), "");
}

TEST(MachineClassifier, MemoryStaysBoundedUnderAFlood) {
  MachineClassifier classifier;
  for (int i = 0; i < 300'000; ++i) (void)classifier.classifyClick(Uuid::random(), "u", "", kChrome, i);
  SUCCEED();  // bounded by kShardLimit per shard; ASan/LSan builds check the rest
}

}  // namespace
}  // namespace waybill::track
