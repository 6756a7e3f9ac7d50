#include "track/track_route.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>

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
      {"POST", "/o/AbC", Endpoint::MethodNotAllowed, "AbC", false},
      {"DELETE", "/u/AbC", Endpoint::MethodNotAllowed, "AbC", false},
  };
  for (const auto& c : cases) {
    const Route route = parseRoute(c.method, c.target);
    EXPECT_EQ(route.endpoint, c.endpoint) << c.method << " " << c.target;
    EXPECT_EQ(route.token, c.token) << c.target;
    EXPECT_EQ(route.head, c.head) << c.target;
  }
}

TEST(TrackRoute, AnythingElseIsNotFoundWithoutAToken) {
  const std::pair<const char*, const char*> elsewhere[] = {
      {"GET", "/healthz"}, {"GET", "/metrics?x"},  // only on trackd.metrics_listen
      {"GET", "/o/"}, {"GET", "/o/Ab="}, {"GET", "/o/Ab/c"}, {"GET", "/o/..%2f"}, {"GET", "/x/AbC"},
      {"GET", "/oo/AbC"}, {"GET", ""}, {"GET", "http://host/o/AbC"}, {"POST", "/nothing"}};
  for (const auto& [method, target] : elsewhere) {
    const Route route = parseRoute(method, target);
    EXPECT_EQ(route.endpoint, Endpoint::NotFound) << method << " " << target;
    EXPECT_EQ(route.token, "") << target;
    EXPECT_FALSE(route.head) << target;
  }
}

TEST(TrackRoute, OverlongTokenIsNotFound) {
  EXPECT_EQ(parseRoute("GET", "/o/" + std::string(9000, 'A')).endpoint, Endpoint::NotFound);
}

TEST(TrackRoute, OneClickBody) {
  for (const char* body : {"List-Unsubscribe=One-Click", "a=b&List-Unsubscribe=One-Click", "List-Unsubscribe=One-Click\r\n"})
    EXPECT_TRUE(isOneClickBody(body)) << body;
  for (const char* body : {"", "List-Unsubscribe=One-Clicks", "xList-Unsubscribe=One-Click"})
    EXPECT_FALSE(isOneClickBody(body)) << body;
}

}  // namespace
}  // namespace waybill::track
