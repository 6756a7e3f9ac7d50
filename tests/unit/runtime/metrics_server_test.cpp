#include "runtime/metrics_server.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <prometheus/counter.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

namespace waybill::metrics {
namespace {

// A plain HTTP/1.0 GET over loopback, so the test checks what a Prometheus scraper sees.
std::string httpGet(int port, const std::string& path) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    close(fd);
    return "";
  }
  const std::string request = "GET " + path + " HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
  (void)!write(fd, request.data(), request.size());
  std::string response;
  char buffer[4096];
  for (ssize_t n; (n = read(fd, buffer, sizeof buffer)) > 0;) response.append(buffer, static_cast<std::size_t>(n));
  close(fd);
  return response;
}

TEST(MetricsListen, AcceptsOnlyLoopback) {
  for (const char* ok : {"", "127.0.0.1:9100", "127.1.2.3:0", "[::1]:9100", "localhost:9100"})
    EXPECT_TRUE(checkLoopbackListen("k", ok).ok()) << ok;
  for (const char* bad : {"0.0.0.0:9100", "192.0.2.1:9100", "[::]:9100", "example.com:9100", "127.0.0.1",
                          "127.0.0.1:", "127.0.0.1:x", "127.0.0.1:70000", ":9100", "127.0.0.1.5:1"})
    EXPECT_FALSE(checkLoopbackListen("k", bad).ok()) << bad;
}

TEST(MetricsServer, EmptyListenIsOff) {
  auto server = MetricsServer::start("", std::make_shared<prometheus::Registry>());
  ASSERT_TRUE(server.ok()) << server.error();
  EXPECT_FALSE((*server)->enabled());
  EXPECT_EQ((*server)->port(), 0);
}

TEST(MetricsServer, RefusesPublicAddresses) {
  auto server = MetricsServer::start("0.0.0.0:0", std::make_shared<prometheus::Registry>());
  ASSERT_FALSE(server.ok());
}

TEST(MetricsServer, ServesCountersAndHistogramsInTextFormat) {
  auto registry = std::make_shared<prometheus::Registry>();
  auto& requests = prometheus::BuildCounter().Name("waybill_test_total").Help("Test counter.").Register(*registry);
  auto& latency = prometheus::BuildHistogram().Name("waybill_test_seconds").Help("Test latency.").Register(*registry);
  requests.Add({{"kind", "a"}}).Increment(3);
  latency.Add({}, prometheus::Histogram::BucketBoundaries{0.1, 1}).Observe(0.5);

  auto server = MetricsServer::start("127.0.0.1:0", registry);
  ASSERT_TRUE(server.ok()) << server.error();
  ASSERT_GT((*server)->port(), 0);
  const auto response = httpGet((*server)->port(), "/metrics");
  EXPECT_NE(response.find("200 OK"), std::string::npos) << response;
  EXPECT_NE(response.find("waybill_test_total{kind=\"a\"} 3"), std::string::npos) << response;
  EXPECT_NE(response.find("waybill_test_seconds_bucket{le=\"1\"} 1"), std::string::npos) << response;

  requests.Add({{"kind", "a"}}).Increment();
  EXPECT_NE(httpGet((*server)->port(), "/metrics").find("waybill_test_total{kind=\"a\"} 4"), std::string::npos)
      << "a scrape sees the counter move";
}

TEST(MetricsServer, PortInUseIsAnErrorNotACrash) {
  auto registry = std::make_shared<prometheus::Registry>();
  auto first = MetricsServer::start("127.0.0.1:0", registry);
  ASSERT_TRUE(first.ok()) << first.error();
  auto second = MetricsServer::start("127.0.0.1:" + std::to_string((*first)->port()), registry);
  EXPECT_FALSE(second.ok());
}

}  // namespace
}  // namespace waybill::metrics
