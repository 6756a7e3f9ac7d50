// The phrase table compiled in from bounce_phrases.def, so the data stays one reviewed file and
// the program carries no file to load (core/ does no I/O).
#include "dsn/bounce_phrases.h"

#include <array>
#include <iterator>

namespace waybill::dsn {
namespace {

struct MtaVerdict {
  std::string_view family, reason, text;
};

struct ProviderHost {
  std::string_view provider, suffix;
};
struct ProviderRule {
  std::string_view provider, reason, text;
};
struct ProviderReply {
  std::string_view provider, reason, reply, text;
  bool is_status = false;  // `reply` holds an enhanced status code (BOUNCE_PROVIDER_STATUS)
};
struct ProviderCode {
  std::string_view provider, reason, code;
};
struct LocalAgent {
  std::string_view agent, marker;
};
struct LocalAgentVerdict {
  std::string_view agent, reason, text;
};

// Every table reads the same file: all entry kinds expand to nothing except the one being built.
#define BOUNCE_PHRASE(reason, text, kind, source)
#define BOUNCE_MTA_VERDICT(family, reason, text)
#define BOUNCE_PROVIDER_HOST(provider, suffix)
#define BOUNCE_PROVIDER_RULE(provider, reason, text)
#define BOUNCE_PROVIDER_REPLY(provider, reason, reply, text)
#define BOUNCE_PROVIDER_STATUS(provider, reason, status, text)
#define BOUNCE_PROVIDER_CODE(provider, reason, code)
#define BOUNCE_LOCAL_AGENT(agent, marker)
#define BOUNCE_LOCAL_AGENT_VERDICT(agent, reason, text)
constexpr PhraseKind reply = PhraseKind::Reply;
constexpr PhraseKind notice = PhraseKind::Notice;
constexpr PhraseKind provider = PhraseKind::Provider;

#undef BOUNCE_PHRASE
#define BOUNCE_PHRASE(reason, text, kind, source) BouncePhrase{#reason, text, kind, source},
constexpr BouncePhrase kPhrases[] = {
#include "dsn/bounce_phrases.def"
};
#undef BOUNCE_PHRASE
#define BOUNCE_PHRASE(reason, text, kind, source)

#undef BOUNCE_MTA_VERDICT
#define BOUNCE_MTA_VERDICT(family, reason, text) MtaVerdict{#family, #reason, text},
constexpr MtaVerdict kVerdicts[] = {
#include "dsn/bounce_phrases.def"
};
#undef BOUNCE_MTA_VERDICT
#define BOUNCE_MTA_VERDICT(family, reason, text)

#undef BOUNCE_PROVIDER_HOST
#define BOUNCE_PROVIDER_HOST(provider, suffix) ProviderHost{#provider, suffix},
constexpr ProviderHost kProviderHosts[] = {
#include "dsn/bounce_phrases.def"
};
#undef BOUNCE_PROVIDER_HOST
#define BOUNCE_PROVIDER_HOST(provider, suffix)

#undef BOUNCE_PROVIDER_RULE
#define BOUNCE_PROVIDER_RULE(provider, reason, text) ProviderRule{#provider, #reason, text},
constexpr ProviderRule kProviderRules[] = {
#include "dsn/bounce_phrases.def"
};
#undef BOUNCE_PROVIDER_RULE
#define BOUNCE_PROVIDER_RULE(provider, reason, text)

#undef BOUNCE_PROVIDER_REPLY
#undef BOUNCE_PROVIDER_STATUS
#define BOUNCE_PROVIDER_REPLY(provider, reason, reply, text) ProviderReply{#provider, #reason, reply, text, false},
#define BOUNCE_PROVIDER_STATUS(provider, reason, status, text) ProviderReply{#provider, #reason, status, text, true},
constexpr ProviderReply kProviderReplies[] = {
#include "dsn/bounce_phrases.def"
};
#undef BOUNCE_PROVIDER_REPLY
#undef BOUNCE_PROVIDER_STATUS
#define BOUNCE_PROVIDER_REPLY(provider, reason, reply, text)
#define BOUNCE_PROVIDER_STATUS(provider, reason, status, text)

#undef BOUNCE_PROVIDER_CODE
#define BOUNCE_PROVIDER_CODE(provider, reason, code) ProviderCode{#provider, #reason, code},
constexpr ProviderCode kProviderCodes[] = {
#include "dsn/bounce_phrases.def"
};
#undef BOUNCE_PROVIDER_CODE
#define BOUNCE_PROVIDER_CODE(provider, reason, code)

#undef BOUNCE_LOCAL_AGENT
#define BOUNCE_LOCAL_AGENT(agent, marker) LocalAgent{#agent, marker},
constexpr LocalAgent kLocalAgents[] = {
#include "dsn/bounce_phrases.def"
};
#undef BOUNCE_LOCAL_AGENT
#define BOUNCE_LOCAL_AGENT(agent, marker)

#undef BOUNCE_LOCAL_AGENT_VERDICT
#define BOUNCE_LOCAL_AGENT_VERDICT(agent, reason, text) LocalAgentVerdict{#agent, #reason, text},
constexpr LocalAgentVerdict kLocalAgentVerdicts[] = {
#include "dsn/bounce_phrases.def"
};
#undef BOUNCE_PHRASE
#undef BOUNCE_MTA_VERDICT
#undef BOUNCE_PROVIDER_HOST
#undef BOUNCE_PROVIDER_RULE
#undef BOUNCE_PROVIDER_REPLY
#undef BOUNCE_PROVIDER_CODE
#undef BOUNCE_LOCAL_AGENT
#undef BOUNCE_LOCAL_AGENT_VERDICT

bool endsWithHost(std::string_view host, std::string_view suffix) {
  if (suffix.front() == '.') return host.ends_with(suffix);
  return host == suffix || (host.ends_with(suffix) && host[host.size() - suffix.size() - 1] == '.');
}

// Each reason's phrases stand together in the file; the index of those runs is built at compile
// time, so a reason's lookup reads only its own rows (and a split run fails the build).
struct ReasonRun {
  std::string_view reason;
  std::size_t begin = 0, end = 0;
};
constexpr std::size_t kPhraseCount = std::size(kPhrases);

constexpr std::size_t countRuns() {
  std::size_t runs = 0;
  for (std::size_t i = 0; i < kPhraseCount; ++i) runs += i == 0 || kPhrases[i].reason != kPhrases[i - 1].reason;
  return runs;
}

constexpr auto buildRuns() {
  std::array<ReasonRun, countRuns()> runs{};
  std::size_t n = 0;
  for (std::size_t i = 0; i < kPhraseCount; ++i) {
    if (i == 0 || kPhrases[i].reason != kPhrases[i - 1].reason) runs[n++] = {kPhrases[i].reason, i, i};
    runs[n - 1].end = i + 1;
  }
  return runs;
}
constexpr auto kRuns = buildRuns();

constexpr bool runsAreUnique() {
  for (std::size_t i = 0; i < kRuns.size(); ++i) {
    for (std::size_t j = i + 1; j < kRuns.size(); ++j) {
      if (kRuns[i].reason == kRuns[j].reason) return false;
    }
  }
  return true;
}
static_assert(runsAreUnique(), "bounce_phrases.def: keep each reason's phrases together");

bool isCodeChar(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

// The run of code characters (letters, digits, plus `extra`) that starts at `from`.
std::string_view codeRun(std::string_view text, std::size_t from, std::string_view extra = {}) {
  std::size_t end = from;
  while (end < text.size() && (isCodeChar(text[end]) || extra.find(text[end]) != std::string_view::npos)) ++end;
  return text.substr(from, end - from);
}

// Orange and La Poste end a reply with their own code, "LPN007_416", "OFR_506", "OFR004_405": the
// last three digits after the label name the error (the last label written counts).
std::string franceTelecomCode(std::string_view lower) {
  std::string code;
  for (std::string_view label : {"lpn", "ofr", "ouk"}) {
    for (std::size_t at = lower.find(label); at != std::string_view::npos; at = lower.find(label, at + 1)) {
      if (at > 0 && isCodeChar(lower[at - 1])) continue;
      std::string_view run = codeRun(lower, at + label.size(), "_-");
      if (run.size() < 3 || run.find_first_of("_-") == std::string_view::npos) continue;
      std::string_view last = run.substr(run.size() - 3);
      if (last.find_first_not_of("0123456789") == std::string_view::npos) code = std::string(last);
    }
  }
  return code;
}

// The code that follows `marker` in the text, up to the next non-code character.
std::string codeAfter(std::string_view lower, std::string_view marker, std::string_view keep_prefix = {}) {
  std::size_t at = lower.find(marker);
  if (at == std::string_view::npos) return {};
  std::string_view run = codeRun(lower, at + marker.size());
  return run.empty() ? std::string() : std::string(keep_prefix) + std::string(run);
}

// Spectrum's code: the first run of four digits after "aup#" ("AUP#In-1310" is 1310).
std::string spectrumCode(std::string_view lower) {
  std::size_t at = lower.find("aup#");
  if (at == std::string_view::npos) return {};
  std::size_t digits = 0;
  for (std::size_t i = at + 4; i < lower.size() && digits < 4; ++i) {
    digits = (lower[i] >= '0' && lower[i] <= '9') ? digits + 1 : 0;
    if (digits == 4) return std::string(lower.substr(i - 3, 4));
  }
  return {};
}

// A table code is one code or a range "first-last" of codes of the same width.
bool codeMatches(std::string_view table_code, std::string_view code) {
  std::size_t dash = table_code.find('-');
  if (dash == std::string_view::npos) return table_code == code;
  std::string_view first = table_code.substr(0, dash), last = table_code.substr(dash + 1);
  return code.size() == first.size() && code.size() == last.size() && first <= code && code <= last;
}

// How each provider writes its own error code into a reply (what the code means is data).
std::string providerErrorCode(std::string_view named, std::string_view lower) {
  if (named == "franceptt") return franceTelecomCode(lower);
  if (named == "godaddy") return codeAfter(lower, " ib", "ib");  // "554 ... IB212 ..."
  if (named == "cox") return codeAfter(lower, "aup#");           // "... AUP#CXBL"
  if (named == "spectrum") return spectrumCode(lower);           // "... AUP#1260"
  if (named == "iua") return codeAfter(lower, ".i.ua/err/");     // "http://mail.i.ua/err/2/"
  return {};
}

}  // namespace

std::span<const BouncePhrase> bouncePhrases() { return kPhrases; }

bool phraseMatches(std::string_view lower_text, std::string_view phrase) {
  std::size_t from = 0;
  while (true) {
    std::size_t star = phrase.find('*');
    std::string_view fragment = phrase.substr(0, star);
    std::size_t at = lower_text.find(fragment, from);
    if (at == std::string_view::npos) return false;
    if (star == std::string_view::npos) return true;
    from = at + fragment.size();
    phrase = phrase.substr(star + 1);
    if (!phrase.empty() && phrase.front() == ' ' && fragment.empty()) phrase.remove_prefix(1);
  }
}

std::string_view providerForHost(std::string_view lower_host) {
  if (lower_host.empty()) return {};
  for (const ProviderHost& h : kProviderHosts) {
    if (endsWithHost(lower_host, h.suffix)) return h.provider;
  }
  return {};
}

std::string_view providerRule(std::string_view provider, std::string_view lower_text, std::string_view reply_code,
                              std::string_view status) {
  if (provider.empty()) return {};
  if (std::string code = providerErrorCode(provider, lower_text); !code.empty()) {
    for (const ProviderCode& rule : kProviderCodes) {
      if (rule.provider == provider && codeMatches(rule.code, code)) return rule.reason;
    }
  }
  for (const ProviderReply& rule : kProviderReplies) {
    const std::string_view code = rule.is_status ? status : reply_code;
    if (rule.provider == provider && !code.empty() && rule.reply == code && lower_text.find(rule.text) != std::string_view::npos) {
      return rule.reason;
    }
  }
  for (const ProviderRule& rule : kProviderRules) {
    if (rule.provider == provider && lower_text.find(rule.text) != std::string_view::npos) return rule.reason;
  }
  return {};
}

std::string_view mtaVerdict(std::string_view mta_family, std::string_view lower_text) {
  if (mta_family.empty()) return {};
  for (const MtaVerdict& v : kVerdicts) {
    if (v.family == mta_family && lower_text.find(v.text) != std::string_view::npos) return v.reason;
  }
  return {};
}

std::string_view localAgentVerdict(std::string_view lower_text, std::string_view smtp_command) {
  // An agent's message is about local delivery, after the SMTP session: never an answer to RCPT.
  if (lower_text.empty() || !(smtp_command.empty() || smtp_command == "DATA")) return {};
  for (const LocalAgent& a : kLocalAgents) {
    if (lower_text.find(a.marker) == std::string_view::npos) continue;
    for (const LocalAgentVerdict& v : kLocalAgentVerdicts) {
      if (v.agent == a.agent && lower_text.find(v.text) != std::string_view::npos) return v.reason;
    }
    return "mailererror";  // the agent failed, and said nothing more specific
  }
  return {};
}

std::string_view providerReason(std::string_view lower_text) {
  for (const BouncePhrase& entry : kPhrases) {
    if (entry.kind == PhraseKind::Provider && phraseMatches(lower_text, entry.text)) return entry.reason;
  }
  return {};
}

bool textHasReason(std::string_view lower_text, std::string_view reason) {
  for (const ReasonRun& run : kRuns) {
    if (run.reason != reason) continue;
    for (std::size_t i = run.begin; i < run.end; ++i) {
      if (phraseMatches(lower_text, kPhrases[i].text)) return true;
    }
    return false;
  }
  return false;
}

}  // namespace waybill::dsn
