// The operator's command, `waybill [GLOBAL OPTIONS] COMMAND [ARGS]`: one function per command
// group, each given the shared configuration and its own arguments.
#pragma once

#include <string>
#include <vector>

#include "config/config.h"

namespace waybill::cli {

using Args = std::vector<std::string>;

int runApiKeys(const Config& config, const Args& args);
int runDb(const Config& config, const Args& args);
int runDns(const Config& config, const Args& args);
int runKeys(const Config& config, const Args& args);
int runReport(const Config& config, const Args& args);
// `waybill db prune` (cli/db_prune.cpp), reached through runDb.
int pruneEvents(const Config& config, const Args& args);
int runPostfixSetup(const Config& config, const Args& args);
int runSuppress(const Config& config, const Args& args);
int runSchedule(const Config& config, const Args& args);
int runWebhooks(const Config& config, const Args& args);

// Each command's usage text, printed by `waybill help COMMAND` and `waybill COMMAND --help`.
const char* apiKeysUsage();
const char* dbUsage();
const char* dnsUsage();
const char* keysUsage();
const char* reportUsage();
const char* postfixSetupUsage();
const char* suppressUsage();
const char* scheduleUsage();
const char* webhooksUsage();

}  // namespace waybill::cli
