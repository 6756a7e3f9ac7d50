#include "mail/message_metadata.h"

#include <algorithm>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "mime/transfer_encoding.h"
#include "util/utf8.h"

namespace waybill::mail {

std::optional<std::string> metadataProblem(const Metadata& metadata) {
  if (metadata.size() > kMaxMetadataEntries) return fmt::format("more than {} entries", kMaxMetadataEntries);
  for (const auto& [key, value] : metadata) {
    if (key.empty()) return std::string("a key is empty");
    if (key.size() > kMaxMetadataKeyBytes) return fmt::format("a key is longer than {} bytes", kMaxMetadataKeyBytes);
    const bool control = std::any_of(key.begin(), key.end(), [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; });
    if (control || !isValidUtf8(key)) return std::string("a key holds a control character or invalid UTF-8");
    if (value.size() > kMaxMetadataValueBytes)
      return fmt::format("the value of '{}' is longer than {} bytes", key, kMaxMetadataValueBytes);
    if (!isValidUtf8(value)) return fmt::format("the value of '{}' is not valid UTF-8", key);
  }
  return std::nullopt;
}

std::string metadataJson(const Metadata& metadata) {
  const nlohmann::json object(metadata);
  return object.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string encodeMetadataHeader(const Metadata& metadata) {
  return mime::encodeFoldableBase64(metadataJson(metadata));
}

Result<Metadata> parseMetadataHeader(std::string_view value) {
  if (value.size() > kMaxMetadataHeaderBytes) return makeError("X-Waybill-Metadata is too long");
  const std::string json = mime::decodeBase64(value);
  const auto object = nlohmann::json::parse(json, nullptr, false);
  if (object.is_discarded() || !object.is_object())
    return makeError("X-Waybill-Metadata is not base64 of a JSON object");
  Metadata metadata;
  for (const auto& [key, entry] : object.items()) {
    if (!entry.is_string()) return makeError(fmt::format("X-Waybill-Metadata: the value of '{}' is not a string", key));
    metadata[key] = entry.get<std::string>();
  }
  if (auto problem = metadataProblem(metadata)) return makeError("X-Waybill-Metadata: " + *problem);
  return metadata;
}

}  // namespace waybill::mail
