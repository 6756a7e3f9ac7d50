// waybill postfix-setup --undo's decisions: which parameters and master.cf entries go back.
#include <gtest/gtest.h>

#include "postfix/undo_plan.h"

namespace waybill::postfix {
namespace {

const std::string kPipe = "waybill-pipe unix - n n - 10 pipe flags=Rq user=waybill argv=/usr/sbin/waybill-pipe";
const std::string kCopy = "127.0.0.1:10027 inet n - n - 20 smtpd -o syslog_name=postfix/waybill-copy";

ConfigSnapshot original() {
  return {{{"myhostname", "mx.example"}, {"smtpd_recipient_restrictions", "reject_unauth_destination"}},
          {{"smtp/inet", "smtp inet n - y - - smtpd"}, {"postlog/unix-dgram", "postlog unix-dgram n - n - 1 postlogd"}}};
}

ConfigSnapshot setUp() {
  auto s = original();
  s.explicit_params["smtpd_milters"] = "inet:127.0.0.1:8891";
  s.explicit_params["smtpd_recipient_restrictions"] = "reject_unauth_destination, check_policy_service inet:x:1";
  s.services["waybill-pipe/unix"] = kPipe;
  s.services["127.0.0.1:10027/inet"] = kCopy;
  return s;
}

TEST(UndoPlan, RestoresChangedRemovesAddedLeavesTheRest) {
  auto now = setUp();
  now.explicit_params["myhostname"] = "edited.example";       // the operator's, not setup's
  now.services["smtp/inet"] = "smtp inet n - n - - smtpd";    // idem
  const auto plan = planPostfixUndo(original(), now);
  ASSERT_EQ(plan.params.size(), 2u);
  EXPECT_EQ(plan.params[0].name, "smtpd_milters");
  EXPECT_FALSE(plan.params[0].original.has_value());          // was unset: postconf -X
  EXPECT_EQ(plan.params[1].name, "smtpd_recipient_restrictions");
  EXPECT_EQ(plan.params[1].original, "reject_unauth_destination");
  ASSERT_EQ(plan.services.size(), 2u);
  EXPECT_EQ(plan.services[0].name, "127.0.0.1:10027/inet");
  EXPECT_EQ(plan.services[1].name, "waybill-pipe/unix");
  EXPECT_FALSE(plan.services[0].original || plan.services[1].original);
}

TEST(UndoPlan, ReplacedEntryComesBackAndLayoutIsNoChange) {
  auto before = original();
  before.services["127.0.0.1:10027/inet"] = "127.0.0.1:10027 inet n - n - - smtpd";  // the operator's own
  auto now = before;
  now.services["127.0.0.1:10027/inet"] = kCopy;
  now.services["postlog/unix-dgram"] = "postlog   unix-dgram n  -  n  -  1  postlogd";
  const auto plan = planPostfixUndo(before, now);
  ASSERT_EQ(plan.services.size(), 1u);
  EXPECT_EQ(plan.services[0].original, "127.0.0.1:10027 inet n - n - - smtpd");
}

TEST(UndoPlan, NothingWhenNotSetUp) {
  EXPECT_TRUE(planPostfixUndo(original(), original()).empty());
}

TEST(UndoPlan, ParsesPostconfM) {
  const auto services = parseServices(
      "smtp       inet  n       -       y       -       -       smtpd\n"
      "# comment\n"
      "waybill-pipe unix -      n       n       -       10      pipe flags=Rq user=waybill argv=/x\n"
      "garbage\n");
  ASSERT_EQ(services.size(), 2u);
  EXPECT_TRUE(services.contains("smtp/inet") && services.contains("waybill-pipe/unix"));
}

TEST(UndoPlan, ManagesWhatSetupWritesButNotQueueDirectory) {
  const auto names = managedParameters();
  EXPECT_NE(std::find(names.begin(), names.end(), "smtpd_milters"), names.end());
  EXPECT_EQ(std::find(names.begin(), names.end(), "queue_directory"), names.end());
}

}  // namespace
}  // namespace waybill::postfix
