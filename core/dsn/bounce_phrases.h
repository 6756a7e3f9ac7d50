// BouncePhrases: the diagnostic texts that name a bounce reason, per sisimai reason label, as MTAs
// and mailbox providers actually write them. The entries are data, in bounce_phrases.def (one line
// each, with the kind of text it matches); this header is how the classifier reads them.
#pragma once

#include <span>
#include <string_view>

namespace waybill::dsn {

// What sort of text a phrase is written to match (see bounce_phrases.def).
enum class PhraseKind {
  Reply,     // a receiving server's SMTP reply
  Notice,    // the reporting MTA's own notice (retries, DNS, local delivery)
  Provider,  // one MTA's or provider's own wording
};

struct BouncePhrase {
  std::string_view reason;
  std::string_view text;  // lower-case; '*' matches any text between fragments
  PhraseKind kind;
  std::string_view source;  // the MTA or provider for Provider phrases, else empty
};

// The mailbox provider whose servers a host (or mail domain) belongs to (BOUNCE_PROVIDER_HOST).
std::string_view providerForHost(std::string_view lower_host);
// What that provider's reply means, empty when no rule matches: its own error code in the text
// (BOUNCE_PROVIDER_CODE) first, then reply or status code and phrase (BOUNCE_PROVIDER_REPLY,
// BOUNCE_PROVIDER_STATUS), then phrase alone (BOUNCE_PROVIDER_RULE).
std::string_view providerRule(std::string_view provider, std::string_view lower_text, std::string_view reply_code = {},
                              std::string_view status = {});
// The reason a reporting MTA's own fixed message names (BOUNCE_MTA_VERDICT), empty when none.
std::string_view mtaVerdict(std::string_view mta_family, std::string_view lower_text);
// What a local delivery agent's message (procmail, maildrop, mail.local, ...) names, empty when no
// agent is named or the failed command is one before DATA: its own phrase (BOUNCE_LOCAL_AGENT_VERDICT),
// else mailererror (the agent named itself and failed).
std::string_view localAgentVerdict(std::string_view lower_text, std::string_view smtp_command);
// Every entry, grouped by reason, reasons in text-match priority order.
std::span<const BouncePhrase> bouncePhrases();
// True when one phrase of that reason occurs in the lower-cased text.
bool textHasReason(std::string_view lower_text, std::string_view reason);
// The reason a mailbox provider's own wording names (PhraseKind::Provider), empty when none.
std::string_view providerReason(std::string_view lower_text);
bool phraseMatches(std::string_view lower_text, std::string_view phrase);

}  // namespace waybill::dsn
