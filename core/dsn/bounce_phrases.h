// BouncePhrases: the diagnostic texts that name a bounce reason, per sisimai reason label, as MTAs
// and mailbox providers actually write them. A phrase with '*' matches its fragments in order
// ("user * not found"). Kept apart from the classifier's logic so it can grow without touching it.
#pragma once

#include <span>
#include <string_view>

namespace waybill::dsn {

struct ReasonPhrases {
  std::string_view reason;
  std::span<const std::string_view> phrases;
};

// In priority order: the first reason with a matching phrase wins.
std::span<const ReasonPhrases> reasonPhraseTable();
// True when one phrase of that reason occurs in the lower-cased text.
bool textHasReason(std::string_view lower_text, std::string_view reason);
bool phraseMatches(std::string_view lower_text, std::string_view phrase);

}  // namespace waybill::dsn
