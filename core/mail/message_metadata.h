// Message metadata: string keys and values an application attaches to a message (the API's
// `metadata`, Postmark's `Metadata`, SendGrid's `custom_args`). It travels from the submitter to
// the milter in `X-Waybill-Metadata: <base64 of a JSON object of strings>`, is stored in
// messages.metadata and comes back in webhooks and the API's reads.
//
//   std::string header = encodeMetadataHeader({{"order", "1234"}});
//   Result<Metadata> back = parseMetadataHeader(header);   // {"order": "1234"}
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "util/result.h"

namespace waybill::mail {

using Metadata = std::map<std::string, std::string>;

inline constexpr std::size_t kMaxMetadataEntries = 80;
inline constexpr std::size_t kMaxMetadataKeyBytes = 128;
inline constexpr std::size_t kMaxMetadataValueBytes = 2000;
// Whatever the entries, the header the milter accepts is bounded.
inline constexpr std::size_t kMaxMetadataHeaderBytes = 64 * 1024;

// Why these entries may not be stored (too many, a key or value too long, empty key, invalid
// UTF-8 or a control character in a key); nothing when they may.
std::optional<std::string> metadataProblem(const Metadata& metadata);

// The header value: base64 in 76-character pieces joined by spaces, so the header folds.
std::string encodeMetadataHeader(const Metadata& metadata);

// The header's metadata, checked by metadataProblem; an error says what is wrong with it.
Result<Metadata> parseMetadataHeader(std::string_view value);

// The metadata as a compact JSON object, keys sorted (the form messages.metadata stores).
std::string metadataJson(const Metadata& metadata);

}  // namespace waybill::mail
