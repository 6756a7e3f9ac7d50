// The [logd] section of waybill-logd: which Postfix delivery log it follows and how (see
// docs/delivery-log.md).
#pragma once

#include <boost/program_options.hpp>
#include <string>

#include "util/result.h"

namespace waybill {

struct LogdConfig {
  std::string log_file = "/var/log/mail.log";  // what `waybill postfix-setup` points maillog_file at
  int poll_ms = 200;                           // wait at the end of the file before looking again
  int batch_lines = 5000;                      // lines per transaction at most
  std::string metrics_listen;                  // Prometheus /metrics on loopback HOST:PORT; empty: off
};

void addLogdOptions(boost::program_options::options_description& desc);
Status buildLogd(const boost::program_options::variables_map& vm, LogdConfig& logd);

}  // namespace waybill
