// The names of LogLevel's values, stated once: what log.level reads, and what the log writes
// before each line.
#pragma once

#include "config/log_options.h"
#include "text/name_table.h"

namespace waybill {

inline constexpr NameTable<LogLevel, 4> kLogLevelNames{
    {{{LogLevel::Debug, "debug"}, {LogLevel::Info, "info"}, {LogLevel::Warning, "warning"}, {LogLevel::Error, "error"}}},
    "info"};

}  // namespace waybill
