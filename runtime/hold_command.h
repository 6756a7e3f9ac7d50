// runHoldHelper: releases or deletes one message in Postfix's hold queue through the configured
// helper (policyd.hold_helper, by default `waybill-hold-helper --via SOCKET`, which hands the
// request to the package's root helper service), because postsuper is the superuser's and
// Waybill's daemons are not. Shared by policyd's releaser and `waybill
// schedule cancel`. See policyd/README.md for the privilege boundary.
//
//   auto outcome = runHoldHelper(config.policyd, HoldAction::Release, "4F2A31C0B1");
//   if (outcome && *outcome == HoldOutcome::Done) ...
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "config/policyd_options.h"
#include "util/result.h"

namespace waybill::policy {

// Drop: cancel some recipients of the held message (suppressed since), which stays held.
enum class HoldAction { Release, Delete, Drop };
enum class HoldOutcome { Done, NotHeld };  // NotHeld: no such message in the hold queue
// The helper's exit status for "no such message in the hold queue". Not 1: sudo exits 1 when it
// cannot run the helper at all, and that must stay an error (the message stays held and is
// retried), never be read as "gone" (which marks a still-held message failed).
inline constexpr int kHoldHelperNotHeld = 3;

// This host's name: queue ids are per Postfix host, so scheduled_messages rows carry it and
// only the releaser on that host takes them.
std::string localHostName();
// Postfix queue ids: short (hex) or long (base 52 + 'z') form.
bool isQueueId(std::string_view text);
// The helper's command line: hold_helper words, then -c DIR ACTION QUEUE_ID.
// `recipients` are for Drop only.
std::vector<std::string> holdHelperArgv(const PolicydConfig& config, HoldAction action, std::string_view queue_id,
                                        const std::vector<std::string>& recipients = {});
// Runs it; an error when it could not run or failed otherwise (exit status other than 0 and 1).
Result<HoldOutcome> runHoldHelper(const PolicydConfig& config, HoldAction action, std::string_view queue_id,
                                  const std::vector<std::string>& recipients = {});

}  // namespace waybill::policy
