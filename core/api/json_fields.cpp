#include "api/json_fields.h"

#include <algorithm>

#include <fmt/format.h>

#include "mail/address.h"
#include "mail/address_syntax.h"
#include "mail/message_builder.h"
#include "mail/message_metadata.h"

namespace waybill::api {
namespace {

constexpr std::size_t kMaxDisplayName = 256;

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

// Nesting is checked on the raw bytes first, so a hostile body cannot make the parser recurse.
bool nestsDeeperThan(std::string_view body, std::size_t max_depth) {
  std::size_t depth = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < body.size(); ++i) {
    const char c = body[i];
    if (in_string) {
      if (c == '\\') ++i;
      else if (c == '"') in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > max_depth) return true;
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return false;
}

const char* typeName(const Json& value) {
  if (value.is_string()) return "a string";
  if (value.is_boolean()) return "a boolean";
  if (value.is_number()) return "a number";
  if (value.is_array()) return "an array";
  if (value.is_object()) return "an object";
  return "null";
}

FieldError wrongType(std::string path, const char* wanted, const Json& value) {
  return fieldError(std::move(path), fmt::format("must be {}, not {}", wanted, typeName(value)));
}

std::string unquote(std::string_view quoted) {
  std::string out;
  for (std::size_t i = 1; i + 1 < quoted.size(); ++i) {
    if (quoted[i] == '\\' && i + 2 < quoted.size()) ++i;
    out += quoted[i];
  }
  return out;
}

int base64Value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

}  // namespace

FieldError wrongTypeError(std::string path, const char* wanted, const Json& value) {
  return wrongType(std::move(path), wanted, value);
}

FieldResult<Json> parseJsonBody(std::string_view body, const RequestLimits& limits) {
  if (body.size() > limits.max_body_bytes)
    return fieldError("", fmt::format("the body is larger than {} bytes", limits.max_body_bytes), ErrorKind::TooLarge);
  if (nestsDeeperThan(body, limits.max_json_depth))
    return fieldError("", fmt::format("the JSON nests deeper than {} levels", limits.max_json_depth), ErrorKind::MalformedJson);
  try {
    return Json::parse(body);
  } catch (const Json::exception& error) {
    return fieldError("", std::string("the body is not valid JSON: ") + error.what(), ErrorKind::MalformedJson);
  }
}

std::string fieldPath(std::string_view parent, std::string_view key) {
  return parent.empty() ? std::string(key) : fmt::format("{}.{}", parent, key);
}

std::string indexPath(std::string_view parent, std::size_t index) { return fmt::format("{}[{}]", parent, index); }

const Json* member(const Json& object, std::string_view key) {
  if (!object.is_object()) return nullptr;
  const auto found = object.find(key);
  if (found == object.end() || found->is_null()) return nullptr;
  return &*found;
}

Check readString(const Json& object, std::string_view key, std::string_view parent, std::string& out) {
  const Json* value = member(object, key);
  if (!value) return std::nullopt;
  if (!value->is_string()) return wrongType(fieldPath(parent, key), "a string", *value);
  out = value->get_ref<const std::string&>();
  return std::nullopt;
}

Check readString(const Json& object, std::string_view key, std::string_view parent, std::optional<std::string>& out) {
  std::string text;
  const Json* value = member(object, key);
  if (!value) return std::nullopt;
  if (auto bad = readString(object, key, parent, text)) return bad;
  out = std::move(text);
  return std::nullopt;
}

Check readBool(const Json& object, std::string_view key, std::string_view parent, std::optional<bool>& out) {
  const Json* value = member(object, key);
  if (!value) return std::nullopt;
  if (!value->is_boolean()) return wrongType(fieldPath(parent, key), "true or false", *value);
  out = value->get<bool>();
  return std::nullopt;
}

Check readStringMap(const Json& value, std::string_view path, std::size_t max_entries, std::map<std::string, std::string>& out) {
  if (!value.is_object()) return wrongType(std::string(path), "an object", value);
  if (value.size() > max_entries) return fieldError(std::string(path), fmt::format("has more than {} entries", max_entries));
  for (const auto& [key, entry] : value.items()) {
    if (!entry.is_string()) return wrongType(fieldPath(path, key), "a string", entry);
    out[key] = entry.get_ref<const std::string&>();
  }
  return std::nullopt;
}

Check readObjectText(const Json& object, std::string_view key, std::string_view parent, std::optional<std::string>& out) {
  const Json* value = member(object, key);
  if (!value) return std::nullopt;
  if (!value->is_object()) return wrongType(fieldPath(parent, key), "an object", *value);
  out = value->dump();
  return std::nullopt;
}

FieldResult<Mailbox> checkedMailbox(std::string_view address, std::string_view display_name, const std::string& path) {
  const std::string_view name = trim(display_name);
  if (name.size() > kMaxDisplayName) return fieldError(path, "the display name is longer than 256 bytes");
  if (name.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos)
    return fieldError(path, "the display name holds a line break or NUL");
  auto parsed = parseMailbox(trim(address));
  if (!parsed) return fieldError(path, fmt::format("'{}' is not a valid address: {}", address, parsed.error()));
  const std::string_view local = std::string_view(*parsed).substr(0, parsed->rfind('@'));
  if (std::any_of(local.begin(), local.end(), [](char c) { return static_cast<unsigned char>(c) >= 0x80; }))
    return fieldError(path, fmt::format("'{}' has a non-ASCII local part, which needs SMTPUTF8 (not supported)", address));
  return Mailbox{std::move(*parsed), std::string(name)};
}

FieldResult<Mailbox> readMailboxObject(const Json& value, const std::string& path) {
  if (!value.is_object()) return wrongTypeError(path, "an object {\"email\", \"name\"}", value);
  std::string email;
  std::string name;
  if (auto bad = readString(value, "email", path, email)) return *bad;
  if (auto bad = readString(value, "name", path, name)) return *bad;
  if (email.empty()) return fieldError(fieldPath(path, "email"), "is required");
  return checkedMailbox(email, name, fieldPath(path, "email"));
}

FieldResult<Mailbox> readRequiredMailbox(const Json& object, const std::string& key,
                                         FieldResult<Mailbox> (*read)(const Json& value, const std::string& path)) {
  const Json* value = member(object, key);
  if (!value) return fieldError(key, "is required");
  return read(*value, key);
}

FieldResult<Mailbox> parseMailboxText(std::string_view text, const std::string& path) {
  const std::string_view trimmed = trim(text);
  if (trimmed.empty() || trimmed.back() != '>') return checkedMailbox(trimmed, "", path);
  const std::size_t open = trimmed.rfind('<');
  if (open == std::string_view::npos) return fieldError(path, fmt::format("'{}' has '>' without '<'", text));
  const std::string_view address = trimmed.substr(open + 1, trimmed.size() - open - 2);
  const std::string_view name = trim(trimmed.substr(0, open));
  const bool quoted = name.size() >= 2 && name.front() == '"' && name.back() == '"';
  return checkedMailbox(address, quoted ? unquote(name) : std::string(name), path);
}

FieldResult<std::vector<Mailbox>> parseAddressList(std::string_view text, const std::string& path) {
  std::vector<Mailbox> list;
  bool in_quotes = false;
  bool in_angles = false;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= text.size(); ++i) {
    const char c = i < text.size() ? text[i] : ',';
    if (in_quotes && c == '\\') { ++i; continue; }
    if (c == '"') in_quotes = !in_quotes;
    else if (!in_quotes && c == '<') in_angles = true;
    else if (!in_quotes && c == '>') in_angles = false;
    if (c != ',' || (i < text.size() && (in_quotes || in_angles))) continue;
    const std::string_view item = trim(text.substr(start, std::min(i, text.size()) - start));
    start = i + 1;
    if (item.empty()) continue;
    auto mailbox = parseMailboxText(item, path);
    if (!mailbox) return mailbox.error();
    list.push_back(std::move(*mailbox));
  }
  return list;
}

FieldResult<std::string> decodeBase64Field(std::string_view text, const std::string& path) {
  std::string out;
  out.reserve(text.size() / 4 * 3);
  std::uint32_t group = 0;
  int bits = 0;
  std::size_t padding = 0;
  for (char c : text) {
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') continue;
    if (c == '=') { ++padding; continue; }
    const int value = base64Value(c);
    if (value < 0 || padding > 0) return fieldError(path, "is not valid base64");
    group = (group << 6) | static_cast<std::uint32_t>(value);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((group >> bits) & 0xffu);
    }
  }
  if (padding > 2 || bits >= 6) return fieldError(path, "is not valid base64");
  return out;
}

std::string bareContentId(std::string_view text) {
  std::string_view id = trim(text);
  if (id.size() >= 4 && (id.substr(0, 4) == "cid:" || id.substr(0, 4) == "CID:")) id.remove_prefix(4);
  if (id.size() >= 2 && id.front() == '<' && id.back() == '>') id = id.substr(1, id.size() - 2);
  return std::string(id);
}

Check checkSubmission(const Submission& submission, const RequestLimits& limits, const SubmissionFieldNames& names) {
  if (submission.recipientCount() == 0) return fieldError(names.recipients, "at least one recipient is required");
  if (submission.recipientCount() > limits.max_recipients)
    return fieldError(names.recipients, fmt::format("more than {} recipients (To, Cc and Bcc together)", limits.max_recipients));
  if (!submission.text && !submission.html && !submission.template_name)
    return fieldError(names.body, "a text or html body (or a template) is required");
  if (submission.tags.size() > limits.max_tags) return fieldError(names.tags, fmt::format("more than {} tags", limits.max_tags));
  for (std::size_t i = 0; i < submission.tags.size(); ++i)
    if (auto problem = mail::tagProblem(submission.tags[i])) return fieldError(indexPath(names.tags, i), *problem);
  if (submission.headers.size() > limits.max_headers)
    return fieldError(names.headers, fmt::format("more than {} headers", limits.max_headers));
  if (submission.attachments.size() > limits.max_attachments)
    return fieldError(names.attachments, fmt::format("more than {} attachments", limits.max_attachments));
  if (submission.metadata.size() > limits.max_metadata)
    return fieldError(names.metadata, fmt::format("more than {} entries", limits.max_metadata));
  if (auto problem = mail::metadataProblem(submission.metadata)) return fieldError(names.metadata, *problem);
  return std::nullopt;
}

}  // namespace waybill::api

namespace waybill::api {

FieldResult<Attachment> readAttachment(const Json& item, const std::string& path, const AttachmentKeys& keys) {
  if (!item.is_object()) return wrongTypeError(path, "an object", item);
  Attachment attachment;
  std::string content;
  std::string content_type;
  std::string content_id;
  if (auto bad = readString(item, keys.filename, path, attachment.filename)) return *bad;
  if (auto bad = readString(item, keys.content, path, content)) return *bad;
  if (auto bad = readString(item, keys.content_type, path, content_type)) return *bad;
  if (auto bad = readString(item, keys.content_id, path, content_id)) return *bad;
  if (auto problem = mail::filenameProblem(attachment.filename)) return fieldError(fieldPath(path, keys.filename), *problem);
  if (!member(item, keys.content)) return fieldError(fieldPath(path, keys.content), "is required (base64)");
  auto decoded = decodeBase64Field(content, fieldPath(path, keys.content));
  if (!decoded) return decoded.error();
  attachment.content = std::move(*decoded);
  attachment.content_type = toLower(trim(std::string_view(content_type).substr(0, content_type.find(';'))));
  if (attachment.content_type.empty()) attachment.content_type = "application/octet-stream";
  if (auto problem = mail::contentTypeProblem(attachment.content_type))
    return fieldError(fieldPath(path, keys.content_type), *problem);
  attachment.content_id = bareContentId(content_id);
  if (!attachment.content_id.empty())
    if (auto problem = mail::contentIdProblem(attachment.content_id)) return fieldError(fieldPath(path, keys.content_id), *problem);
  return attachment;
}

Check readAttachmentArray(const Json& message, std::string_view key, const AttachmentKeys& keys, std::vector<Attachment>& out) {
  return readEachItem(message, key, "an array", [&](const Json& item, const std::string& path) -> Check {
    auto attachment = readAttachment(item, path, keys);
    if (!attachment) return attachment.error();
    out.push_back(std::move(*attachment));
    return std::nullopt;
  });
}

Check readHeaderObject(const Json& value, const std::string& path, std::vector<CustomHeader>& out) {
  if (!value.is_object()) return wrongTypeError(path, "an object", value);
  for (const auto& [name, entry] : value.items()) {
    const std::string field = fieldPath(path, name);
    if (!entry.is_string()) return wrongTypeError(field, "a string", entry);
    CustomHeader header{name, entry.get_ref<const std::string&>()};
    if (auto problem = mail::customHeaderProblem(header)) return fieldError(field, *problem);
    out.push_back(std::move(header));
  }
  return std::nullopt;
}

Check readStringArray(const Json& value, const std::string& path, std::vector<std::string>& out) {
  if (!value.is_array()) return wrongTypeError(path, "an array of strings", value);
  for (std::size_t i = 0; i < value.size(); ++i) {
    if (!value[i].is_string()) return wrongTypeError(indexPath(path, i), "a string", value[i]);
    out.push_back(value[i].get<std::string>());
  }
  return std::nullopt;
}

}  // namespace waybill::api
