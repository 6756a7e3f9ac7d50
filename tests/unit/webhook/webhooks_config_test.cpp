// The [webhooks] section and the metrics_listen keys of every daemon's section.
#include <gtest/gtest.h>

#include "../../support/config_test_support.h"
#include "../../support/refused_config_test.h"
#include "config/config.h"
#include "webhook/webhooks_settings.h"

namespace waybill {
namespace {

using test_support::parseIni;
using test_support::RefusedConfig;
using test_support::RefusedConfigTest;

TEST(WebhooksConfig, OffByDefault) {
  auto config = parseIni("");
  ASSERT_TRUE(config.ok()) << config.error();
  EXPECT_TRUE((*config)->webhooks.endpoint_lines.empty());
  EXPECT_EQ((*config)->webhooks.batch_size, 1);
  EXPECT_EQ((*config)->webhooks.park_after, 5);
  for (const auto* listen : {&(*config)->milter.metrics_listen, &(*config)->policyd.metrics_listen,
                             &(*config)->trackd.metrics_listen, &(*config)->webhooks.metrics_listen})
    EXPECT_EQ(*listen, "");
}

TEST(WebhooksConfig, ReadsRepeatedEndpoints) {
  auto config = parseIni(
      "[webhooks]\nsecret = topsecret\nbatch_size = 50\nretry_period = 120\npark_after = 0\n"
      "endpoint = crm http://127.0.0.1:8080/a events=delivered\n"
      "endpoint = audit http://127.0.0.1:8081/b secret=own\n"
      "metrics_listen = 127.0.0.1:9110\n"
      "[milter]\nmetrics_listen = [::1]:9111\n[trackd]\nmetrics_listen = localhost:9112\n");
  ASSERT_TRUE(config.ok()) << config.error();
  const auto& webhooks = (*config)->webhooks;
  const auto endpoints = webhook::webhookEndpoints(webhooks);
  ASSERT_TRUE(endpoints.ok()) << endpoints.error();
  ASSERT_EQ(endpoints->size(), 2u);
  EXPECT_EQ((*endpoints)[0].name, "crm");
  EXPECT_EQ((*endpoints)[1].secret, "own");
  EXPECT_EQ(webhooks.batch_size, 50);
  EXPECT_EQ(webhooks.retry_period_seconds, 120);
  EXPECT_EQ(webhooks.park_after, 0) << "0 turns parking off";
  EXPECT_EQ(webhooks.metrics_listen, "127.0.0.1:9110");
  EXPECT_EQ((*config)->milter.metrics_listen, "[::1]:9111");
  EXPECT_EQ((*config)->trackd.metrics_listen, "localhost:9112");
}

INSTANTIATE_TEST_SUITE_P(Webhooks, RefusedConfigTest, ::testing::Values(
    RefusedConfig{"[webhooks]\nendpoint = a http://h/\n", "option 'webhooks.secret': required"},
    RefusedConfig{"[webhooks]\nsecret=s\nendpoint = a http://h/\nendpoint = a http://i/\n", "used twice"},
    RefusedConfig{"[webhooks]\nsecret=s\nendpoint = a gopher://h/\n", "option 'webhooks.endpoint'"},
    RefusedConfig{"[webhooks]\nbatch_size = 0\n", "option 'webhooks.batch_size'"},
    RefusedConfig{"[webhooks]\npark_after = -1\n", "option 'webhooks.park_after'"},
    RefusedConfig{"[webhooks]\nmetrics_listen = 0.0.0.0:9100\n", "option 'webhooks.metrics_listen': '0.0.0.0:9100' is not a loopback"},
    RefusedConfig{"[policyd]\nmetrics_listen = 192.0.2.1:9100\n", "option 'policyd.metrics_listen'"},
    RefusedConfig{"[milter]\nmetrics_listen = 9100\n", "option 'milter.metrics_listen': '9100' is not HOST:PORT"},
    RefusedConfig{"[trackd]\nmetrics_listen = 127.0.0.1:99999\n", "option 'trackd.metrics_listen'"}));

}  // namespace
}  // namespace waybill
