#include "track/track_route.h"

#include <gtest/gtest.h>

#include <string>

namespace waybill::track {
namespace {

struct RouteCase {
  const char* method;
  const char* target;
  Endpoint endpoint;
  const char* token;
  bool head;
};

TEST(TrackRoute, Table) {
  const RouteCase cases[] = {
      {"GET", "/o/AbC-_9", Endpoint::Open, "AbC-_9", false},
      {"HEAD", "/o/AbC", Endpoint::Open, "AbC", true},
      {"GET", "/c/AbC?utm=1", Endpoint::Click, "AbC", false},
      {"GET", "/u/AbC", Endpoint::UnsubscribePage, "AbC", false},
      {"POST", "/u/AbC", Endpoint::Unsubscribe, "AbC", false},
      {"GET", "/healthz", Endpoint::Health, "", false},
      {"GET", "/metrics?x", Endpoint::Metrics, "", false},
      {"POST", "/o/AbC", Endpoint::MethodNotAllowed, "AbC", false},
      {"DELETE", "/u/AbC", Endpoint::MethodNotAllowed, "AbC", false},
      {"GET", "/o/", Endpoint::NotFound, "", false},
      {"GET", "/o/Ab=", Endpoint::NotFound, "", false},
      {"GET", "/o/Ab/c", Endpoint::NotFound, "", false},
      {"GET", "/o/..%2f", Endpoint::NotFound, "", false},
      {"GET", "/x/AbC", Endpoint::NotFound, "", false},
      {"GET", "/oo/AbC", Endpoint::NotFound, "", false},
      {"GET", "", Endpoint::NotFound, "", false},
      {"GET", "http://host/o/AbC", Endpoint::NotFound, "", false},
      {"POST", "/nothing", Endpoint::NotFound, "", false},
  };
  for (const auto& c : cases) {
    const Route route = parseRoute(c.method, c.target);
    EXPECT_EQ(route.endpoint, c.endpoint) << c.method << " " << c.target;
    EXPECT_EQ(route.token, c.token) << c.target;
    EXPECT_EQ(route.head, c.head) << c.target;
  }
}

TEST(TrackRoute, OverlongTokenIsNotFound) {
  EXPECT_EQ(parseRoute("GET", "/o/" + std::string(9000, 'A')).endpoint, Endpoint::NotFound);
}

TEST(TrackRoute, OneClickBody) {
  EXPECT_TRUE(isOneClickBody("List-Unsubscribe=One-Click"));
  EXPECT_TRUE(isOneClickBody("a=b&List-Unsubscribe=One-Click"));
  EXPECT_TRUE(isOneClickBody("List-Unsubscribe=One-Click\r\n"));
  EXPECT_FALSE(isOneClickBody(""));
  EXPECT_FALSE(isOneClickBody("List-Unsubscribe=One-Clicks"));
  EXPECT_FALSE(isOneClickBody("xList-Unsubscribe=One-Click"));
}

}  // namespace
}  // namespace waybill::track
