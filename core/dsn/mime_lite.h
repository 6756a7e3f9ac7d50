// MimeLite: the small MIME reader the bounce decoder needs (headers, multipart, message/rfc822),
// decoding bodies with core/mime's transfer decoders (the same ones the milter uses); every size is
// capped so hostile input costs bounded work.
//
//   MimeEntity root = parseMime(normalizeLineEndings(raw));
//   const MimeEntity* report = findPart(root, "message/delivery-status");
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

// toLower and trimBlanks, which every bounce reader using this header needs too.
#include "text/ascii_text.h"

namespace waybill::dsn {

inline constexpr std::size_t kMaxMimeDepth = 8;
inline constexpr std::size_t kMaxMimeParts = 256;
inline constexpr std::size_t kMaxHeaders = 1000;

struct MimeHeader {
  std::string name;   // as written
  std::string value;  // unfolded, trimmed
};

struct MimeEntity {
  std::vector<MimeHeader> headers;
  std::string content_type = "text/plain";  // lower-case type/subtype
  std::string boundary;
  std::string charset;
  std::string filename;
  std::string body;  // transfer-decoded (the raw text for multiparts)
  std::vector<MimeEntity> parts;  // multipart children, or the one message/rfc822 child
  bool truncated = false;  // a cap was hit below this entity

  // First header with that name (case-insensitive), empty when absent.
  std::string header(std::string_view name) const;
  bool isMultipart() const { return content_type.rfind("multipart/", 0) == 0; }
};

// CRLF and lone CR become LF; an mbox "From " separator line at the start is dropped.
std::string normalizeLineEndings(std::string_view raw);
// Splits an mbox file holding several messages at its "From " separator lines.
std::vector<std::string> splitMbox(std::string_view normalized);

// Splits header block and body at the first empty line; unfolds continuation lines.
std::vector<MimeHeader> parseHeaderBlock(std::string_view block, std::string_view* body_out);
MimeEntity parseMime(std::string_view normalized);

// Depth-first search for the first entity with that content type (e.g. message/delivery-status).
const MimeEntity* findPart(const MimeEntity& root, std::string_view content_type);
// Every text/plain and text/html leaf, in document order (not inside attached messages).
void collectTextParts(const MimeEntity& root, std::vector<const MimeEntity*>& out, bool include_html);

// RFC 2047 encoded-words in a header value (B and Q); charset is not converted.
std::string decodeEncodedWords(std::string_view value);
// Removes tags and decodes a few entities, good enough to read diagnostic text in HTML bounces.
std::string htmlToText(std::string_view html);

}  // namespace waybill::dsn
