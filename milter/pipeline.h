// Pipeline: the milter's stages in their fixed order (control headers, standard headers, ...,
// record), run at end of message. The first stage that does not proceed ends the run.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "mail/ip_network.h"
#include "milter_message.h"

namespace waybill::milter {

class Pipeline {
 public:
  void add(std::unique_ptr<Stage> stage) { stages_.push_back(std::move(stage)); }
  // Mail whose every recipient is in one of these domains (the bounce and inbound domains that
  // Postfix hands to waybill-pipe) is not outbound mail: it passes untouched and unrecorded.
  void passThrough(std::set<std::string> domains) { pass_through_ = std::move(domains); }
  bool passesThrough(const MilterMessage& message) const;
  // Outbound only: mail is ours to act on when its submitter is trusted (SASL-authenticated,
  // local submission through sendmail/pickup, or a client in these networks); anything else
  // (internet mail to a local domain) passes untouched: not signed, rewritten, recorded or held.
  // Unset: every submitter is trusted.
  void trustNetworks(IpNetworks networks) { trusted_networks_ = std::move(networks); }
  bool trusts(const Envelope& envelope) const;
  // `stopped_by`, when given, receives the name of the stage that ended the run (metrics).
  StageStatus run(MilterMessage& message, const char** stopped_by = nullptr) const;
  // Called by the adapter once the MTA has the message's verdict (accepted: every edit applied).
  void onFinished(std::function<void(const MilterMessage&, bool accepted)> observer) { finished_ = std::move(observer); }
  void finished(const MilterMessage& message, bool accepted) const {
    if (finished_) finished_(message, accepted);
  }

 private:
  std::vector<std::unique_ptr<Stage>> stages_;
  std::set<std::string> pass_through_;  // lower case
  std::optional<IpNetworks> trusted_networks_;
  std::function<void(const MilterMessage&, bool)> finished_;
};

}  // namespace waybill::milter
