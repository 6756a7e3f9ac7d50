// waybill postfix-setup's decisions: list editing, addresses, and the plan for typical instances.
#include <gtest/gtest.h>

#include <algorithm>

#include "postfix/postfix_list.h"
#include "postfix/setup_plan.h"

namespace waybill::postfix {
namespace {

SetupInputs inputs() {
  return {"/etc/postfix", "inet:8891@127.0.0.1", "127.0.0.1:10040", "bounces.example.com",
          {"inbound.example.com"}, "/usr/sbin/waybill-pipe", "/etc/waybill/waybill.conf", "", "", true};
}

// Debian's stock main.cf at compatibility_level 3.6, as postconf reports it.
PostfixState stock() {
  PostfixState state;
  state.params = {{"smtpd_milters", ""}, {"non_smtpd_milters", ""}, {"milter_default_action", "tempfail"},
                  {"milter_protocol", "6"}, {"smtpd_recipient_restrictions", ""}, {"transport_maps", ""},
                  {"relay_domains", "${{$compatibility_level} <level {2} ? {$mydestination} : {}}"},
                  {"disable_mime_output_conversion", "no"}, {"delay_warning_time", "0h"}};
  state.relay_restrictions_expanded = "permit_mynetworks, permit_sasl_authenticated, defer_unauth_destination";
  return state;
}

const ParamChange* change(const SetupPlan& plan, const std::string& name) {
  auto it = std::find_if(plan.params.begin(), plan.params.end(), [&](const auto& c) { return c.name == name; });
  return it == plan.params.end() ? nullptr : &*it;
}

// What postconf would report after the plan is applied.
PostfixState applied(PostfixState state, const SetupPlan& plan) {
  for (const auto& c : plan.params) state.params[c.name] = c.new_value;
  if (!plan.service_entry.empty()) state.pipe_service = plan.service_entry;
  if (!plan.copy_service_entry.empty()) state.copy_service = plan.copy_service_entry;
  if (!plan.transport_map_text.empty()) state.transport_map_text = plan.transport_map_text;
  if (!plan.postlog_entry.empty()) state.postlog_service = plan.postlog_entry;
  return state;
}

TEST(PostfixList, SplitsOnCommasAndBlanksKeepingArgumentsAndGroups) {
  EXPECT_EQ(splitPostfixList("check_policy_service inet:127.0.0.1:10040, permit_mynetworks reject"),
            (std::vector<std::string>{"check_policy_service inet:127.0.0.1:10040", "permit_mynetworks", "reject"}));
  EXPECT_EQ(splitPostfixList("inet:a:1, { inet:b:2, default_action=accept }"),
            (std::vector<std::string>{"inet:a:1", "{ inet:b:2, default_action=accept }"}));
  EXPECT_EQ(splitPostfixList("check_recipient_access inline:{ {x@y = 550 no} },\n  reject"),
            (std::vector<std::string>{"check_recipient_access inline:{ {x@y = 550 no} }", "reject"}));
  EXPECT_EQ(splitPostfixList("${{$compatibility_level} <level {2} ? {$mydestination} : {}}").size(), 1u);
  EXPECT_TRUE(splitPostfixList(" , ").empty());
  EXPECT_EQ(firstWord("{ inet:b:2, default_action=accept }"), "inet:b:2");
  EXPECT_EQ(joinPostfixList({"a", "b c"}), "a, b c");
}

TEST(PostfixAddresses, FromWaybillSyntax) {
  EXPECT_EQ(*postfixMilterAddress("inet:8891@127.0.0.1"), "inet:127.0.0.1:8891");
  EXPECT_EQ(*postfixMilterAddress("inet:8891"), "inet:127.0.0.1:8891");
  EXPECT_EQ(*postfixMilterAddress("inet6:8891@::1"), "inet:[::1]:8891");
  EXPECT_EQ(*postfixMilterAddress("unix:/run/waybill/milter.sock"), "unix:/run/waybill/milter.sock");
  EXPECT_EQ(*postfixMilterAddress("local:/run/m.sock"), "unix:/run/m.sock");
  // Inside the queue directory: relative to it, so a chrooted smtpd reaches it too.
  EXPECT_EQ(*postfixMilterAddress("unix:/var/spool/postfix/waybill/milter.sock", "/var/spool/postfix"),
            "unix:waybill/milter.sock");
  EXPECT_EQ(*postfixMilterAddress("unix:/var/spool/postfix/waybill/milter.sock", "/var/spool/postfix/"),
            "unix:waybill/milter.sock");
  EXPECT_EQ(*postfixMilterAddress("unix:/var/spool/postfixx/m.sock", "/var/spool/postfix"), "unix:/var/spool/postfixx/m.sock");
  EXPECT_EQ(*postfixMilterAddress("unix:/run/waybill/milter.sock", "/var/spool/postfix"), "unix:/run/waybill/milter.sock");
  EXPECT_FALSE(postfixMilterAddress("inet:x@127.0.0.1"));
  EXPECT_EQ(*postfixPolicyAddress("127.0.0.1:10040"), "inet:127.0.0.1:10040");
  EXPECT_EQ(*postfixPolicyAddress("unix:/run/waybill/policyd.sock"), "unix:/run/waybill/policyd.sock");
  EXPECT_EQ(*postfixPolicyAddress("0.0.0.0:10040"), "inet:127.0.0.1:10040");
  // The package's socket, inside the queue directory: relative, so a chrooted smtpd reaches it.
  EXPECT_EQ(*postfixPolicyAddress("unix:/var/spool/postfix/private/waybill-policy", "/var/spool/postfix"),
            "unix:private/waybill-policy");
  EXPECT_EQ(*postfixPolicyAddress("unix:/run/waybill/policyd.sock", "/var/spool/postfix"), "unix:/run/waybill/policyd.sock");
  EXPECT_FALSE(postfixPolicyAddress("10040"));
}

TEST(PostfixSetupPlan, StockInstanceGetsEverything) {
  auto plan = planPostfixSetup(inputs(), stock());
  ASSERT_TRUE(plan) << plan.error();
  EXPECT_EQ(change(*plan, "smtpd_milters")->new_value, "inet:127.0.0.1:8891");
  EXPECT_EQ(change(*plan, "non_smtpd_milters")->new_value, "inet:127.0.0.1:8891");
  EXPECT_EQ(change(*plan, "milter_default_action"), nullptr);  // already tempfail
  // Relay protection lives in smtpd_relay_restrictions: the check goes first, for mynetworks too.
  EXPECT_EQ(change(*plan, "smtpd_recipient_restrictions")->new_value, "check_policy_service inet:127.0.0.1:10040");
  EXPECT_EQ(change(*plan, "transport_maps")->new_value, "texthash:/etc/postfix/waybill_transport");
  EXPECT_EQ(change(*plan, "relay_domains")->new_value,
            "${{$compatibility_level} <level {2} ? {$mydestination} : {}}, bounces.example.com, inbound.example.com");
  EXPECT_EQ(change(*plan, "disable_mime_output_conversion")->new_value, "yes");
  EXPECT_EQ(change(*plan, "waybill-pipe_destination_recipient_limit")->new_value, "1");
  EXPECT_EQ(change(*plan, "delay_warning_time")->new_value, "4h");
  EXPECT_FALSE(plan->service_exists);
  EXPECT_TRUE(plan->service_entry.starts_with("waybill-pipe unix - n n - 10 pipe flags=Rq user=waybill_pipe:waybill "
                                              "argv=/usr/sbin/waybill-pipe --config /etc/waybill/waybill.conf "
                                              "--database.role waybill_pipe "))
      << plan->service_entry;
  EXPECT_NE(plan->transport_map_text.find("bounces.example.com"), std::string::npos);
  EXPECT_NE(plan->transport_map_text.find("inbound.example.com            waybill-pipe:"), std::string::npos);
}

TEST(PostfixSetupPlan, SecondRunChangesNothing) {
  auto first = planPostfixSetup(inputs(), stock());
  ASSERT_TRUE(first);
  auto second = planPostfixSetup(inputs(), applied(stock(), *first));
  ASSERT_TRUE(second) << second.error();
  EXPECT_TRUE(second->empty());
}

TEST(PostfixSetupPlan, KeepsExistingMiltersAndAddsNoDuplicate) {
  auto state = stock();
  state.params["smtpd_milters"] = "inet:127.0.0.1:8892, { inet:127.0.0.1:8891, default_action=tempfail }";
  state.params["non_smtpd_milters"] = "$smtpd_milters";
  auto plan = planPostfixSetup(inputs(), state);
  ASSERT_TRUE(plan);
  EXPECT_EQ(change(*plan, "smtpd_milters"), nullptr);
  EXPECT_EQ(change(*plan, "non_smtpd_milters")->new_value, "$smtpd_milters, inet:127.0.0.1:8891");
}

TEST(PostfixSetupPlan, PolicyCheckGoesRightAfterRejectUnauthDestination) {
  auto state = stock();
  state.params["smtpd_recipient_restrictions"] =
      "permit_mynetworks permit_sasl_authenticated reject_unauth_destination reject_unknown_recipient_domain";
  auto plan = planPostfixSetup(inputs(), state);
  ASSERT_TRUE(plan);
  EXPECT_EQ(change(*plan, "smtpd_recipient_restrictions")->new_value,
            "permit_mynetworks, permit_sasl_authenticated, reject_unauth_destination, "
            "check_policy_service inet:127.0.0.1:10040, reject_unknown_recipient_domain");
  ASSERT_EQ(plan->notes.size(), 1u);  // mynetworks clients skip the policy service: said so
  EXPECT_NE(plan->notes[0].find("skips waybill-policyd"), std::string::npos);
}

TEST(PostfixSetupPlan, NoPermitIsEverAdded) {
  auto state = stock();
  state.params["smtpd_recipient_restrictions"] = "permit_mynetworks, reject";
  auto plan = planPostfixSetup(inputs(), state);
  ASSERT_TRUE(plan);
  EXPECT_EQ(change(*plan, "smtpd_recipient_restrictions")->new_value,
            "check_policy_service inet:127.0.0.1:10040, permit_mynetworks, reject");
}

TEST(PostfixSetupPlan, RefusesAnInstanceWithoutRelayProtection) {
  auto state = stock();
  state.params["smtpd_recipient_restrictions"] = "permit_mynetworks";
  state.relay_restrictions_expanded = "";
  auto plan = planPostfixSetup(inputs(), state);
  ASSERT_FALSE(plan);
  EXPECT_NE(plan.error().find("reject_unauth_destination"), std::string::npos);
}

TEST(PostfixSetupPlan, OperatorsValuesSurvive) {
  auto state = stock();
  state.params["transport_maps"] = "hash:/etc/postfix/transport";
  state.params["relay_domains"] = "example.net";
  state.params["delay_warning_time"] = "1h";
  state.explicit_params = {"delay_warning_time", "relay_domains", "transport_maps"};
  auto plan = planPostfixSetup(inputs(), state);
  ASSERT_TRUE(plan);
  EXPECT_EQ(change(*plan, "transport_maps")->new_value,
            "texthash:/etc/postfix/waybill_transport, hash:/etc/postfix/transport");
  EXPECT_EQ(change(*plan, "relay_domains")->new_value, "example.net, bounces.example.com, inbound.example.com");
  EXPECT_EQ(change(*plan, "delay_warning_time"), nullptr);
}

TEST(PostfixSetupPlan, ChangedPipeServiceIsReplacedSameOneIsKept) {
  auto state = stock();
  state.pipe_service = "waybill-pipe unix -      n       n       -       10      pipe flags=Rq user=waybill "
                       "argv=/opt/old/waybill-pipe";
  auto plan = planPostfixSetup(inputs(), state);
  ASSERT_TRUE(plan);
  EXPECT_TRUE(plan->service_exists);
  ASSERT_FALSE(plan->service_entry.empty());
  state.pipe_service = "waybill-pipe unix -      n       n       -       10      pipe flags=Rq\n    " +
                       plan->service_entry.substr(plan->service_entry.find("user="));
  EXPECT_TRUE(planPostfixSetup(inputs(), state)->service_entry.empty());
}

TEST(PostfixSetupPlan, WithoutPipeDomainsNoTransportMap) {
  auto in = inputs();
  in.bounce_domain.clear();
  in.inbound_domains.clear();
  auto plan = planPostfixSetup(in, stock());
  ASSERT_TRUE(plan);
  EXPECT_EQ(change(*plan, "transport_maps"), nullptr);
  EXPECT_TRUE(plan->transport_map_text.empty());
  EXPECT_EQ(plan->notes.size(), 1u);
}

TEST(PostfixSetupPlan, BadAddressesAreOneLineErrors) {
  auto in = inputs();
  in.milter_socket = "tcp:8891";
  auto plan = planPostfixSetup(in, stock());
  ASSERT_FALSE(plan);
  EXPECT_NE(plan.error().find("milter.socket 'tcp:8891'"), std::string::npos);
}

TEST(PostfixSetup, CopyListenerIsAddedOnceWhenConfigured) {
  EXPECT_TRUE(planPostfixSetup(inputs(), stock())->copy_service_entry.empty());  // not configured: none
  SetupInputs with_copies = inputs();
  with_copies.copy_listener = "127.0.0.1:10027";
  auto plan = planPostfixSetup(with_copies, stock());
  ASSERT_TRUE(plan) << plan.error();
  EXPECT_EQ(plan->copy_service_name, "127.0.0.1:10027/inet");
  EXPECT_TRUE(plan->copy_service_entry.starts_with("127.0.0.1:10027 inet n - n - 20 smtpd -o ")) << plan->copy_service_entry;
  EXPECT_NE(plan->copy_service_entry.find(" -o smtpd_recipient_restrictions=permit_mynetworks,reject"), std::string::npos);
  EXPECT_EQ(plan->copy_service_entry.find("smtpd_milters"), std::string::npos);  // main.cf's milters apply
  // postconf -M prints it padded, with each -o on its own line: still the same entry.
  PostfixState state = applied(stock(), *plan);
  std::string padded = state.copy_service;
  for (std::size_t at = padded.find(" -o "); at != std::string::npos; at = padded.find(" -o ", at + 6))
    padded.replace(at, 4, "\n    -o ");
  state.copy_service = padded;
  auto again = planPostfixSetup(with_copies, state);
  ASSERT_TRUE(again);
  EXPECT_TRUE(again->copy_service_entry.empty());
  EXPECT_TRUE(again->copy_service_exists);
  with_copies.copy_listener = "10027";
  EXPECT_FALSE(planPostfixSetup(with_copies, stock()));
}

SetupInputs withLogFile(bool host_has_syslog) {
  SetupInputs in = inputs();
  in.log_file = "/var/log/mail.log";
  in.host_has_syslog = host_has_syslog;
  return in;
}

TEST(PostfixSetupPlan, WithoutSyslogPostfixWritesTheLogFileItself) {
  PostfixState state = stock();
  state.params["maillog_file"] = "";
  state.params["maillog_file_prefixes"] = "/var, /dev/stdout";
  auto plan = planPostfixSetup(withLogFile(false), state);
  ASSERT_TRUE(plan) << plan.error();
  ASSERT_TRUE(change(*plan, "maillog_file"));
  EXPECT_EQ(change(*plan, "maillog_file")->new_value, "/var/log/mail.log");
  EXPECT_FALSE(change(*plan, "maillog_file_prefixes"));  // /var allows it already
  EXPECT_EQ(plan->postlog_entry, "postlog unix-dgram n - n - 1 postlogd");
  auto again = planPostfixSetup(withLogFile(false), applied(state, *plan));
  ASSERT_TRUE(again);
  EXPECT_TRUE(again->empty());
}

TEST(PostfixSetupPlan, LogFileOutsideThePrefixesIsAllowedExplicitly) {
  PostfixState state = stock();
  state.params["maillog_file_prefixes"] = "/var, /dev/stdout";
  SetupInputs in = withLogFile(false);
  in.log_file = "/srv/log/postfix.log";
  auto plan = planPostfixSetup(in, state);
  ASSERT_TRUE(plan);
  ASSERT_TRUE(change(*plan, "maillog_file_prefixes"));
  EXPECT_EQ(change(*plan, "maillog_file_prefixes")->new_value, "/var, /dev/stdout, /srv/log");
}

TEST(PostfixSetupPlan, WithSyslogNothingChangesForTheLog) {
  auto plan = planPostfixSetup(withLogFile(true), stock());
  ASSERT_TRUE(plan);
  EXPECT_FALSE(change(*plan, "maillog_file"));
  EXPECT_TRUE(plan->postlog_entry.empty());
  EXPECT_TRUE(std::any_of(plan->notes.begin(), plan->notes.end(),
                          [](const std::string& n) { return n.find("syslog") != std::string::npos; }));
}

TEST(PostfixSetupPlan, AnOperatorsMaillogFileIsKeptAndNamed) {
  PostfixState state = stock();
  state.params["maillog_file"] = "/var/log/postfix.log";
  auto plan = planPostfixSetup(withLogFile(false), state);
  ASSERT_TRUE(plan);
  EXPECT_FALSE(change(*plan, "maillog_file"));
  EXPECT_EQ(plan->postlog_entry, "postlog unix-dgram n - n - 1 postlogd");  // maillog_file needs it
  EXPECT_TRUE(std::any_of(plan->notes.begin(), plan->notes.end(), [](const std::string& n) {
    return n.find("[logd] log_file = /var/log/postfix.log") != std::string::npos;
  }));
}

}  // namespace
}  // namespace waybill::postfix
