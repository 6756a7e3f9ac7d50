// runHoldHelper: releases or deletes one message in Postfix's hold queue through the configured
// helper (policyd.hold_helper, by default `sudo -n .../waybill-hold-helper`), because postsuper is
// the superuser's and Waybill's daemons are not. Shared by policyd's releaser and `waybill
// schedule cancel`. See policyd/README.md for the privilege boundary.
//
//   auto outcome = runHoldHelper(config.policyd, HoldAction::Release, "4F2A31C0B1");
//   if (outcome && *outcome == HoldOutcome::Done) ...
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "util/result.h"

namespace waybill::policy {

enum class HoldAction { Release, Delete };
enum class HoldOutcome { Done, NotHeld };  // NotHeld: no such message in the hold queue

// This host's name: queue ids are per Postfix host, so scheduled_messages rows carry it and
// only the releaser on that host takes them.
std::string localHostName();
// Postfix queue ids: short (hex) or long (base 52 + 'z') form.
bool isQueueId(std::string_view text);
// The helper's command line: hold_helper words, then -c DIR ACTION QUEUE_ID.
std::vector<std::string> holdHelperArgv(const PolicydConfig& config, HoldAction action, std::string_view queue_id);
// Runs it; an error when it could not run or failed otherwise (exit status other than 0 and 1).
Result<HoldOutcome> runHoldHelper(const PolicydConfig& config, HoldAction action, std::string_view queue_id);

}  // namespace waybill::policy
