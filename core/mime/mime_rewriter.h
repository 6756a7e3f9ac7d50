// MimeRewriter: a streaming MIME walker that hands each rewritable text part (text/html and
// text/plain, not attachments, ASCII-compatible charset, known transfer encoding) to a handler
// as decoded bytes and re-encodes what it returns in the part's own encoding. Everything else
// (attachments, images, message/rfc822, multipart/signed and /encrypted, preambles, boundaries,
// headers) streams to the output byte-identical, line by line, so memory stays bounded by the
// largest text part (capped: bigger text parts also pass untouched).
//
// The top-level header block is not part of the input (libmilter delivers headers apart): the
// caller gives its Content-Type and Content-Transfer-Encoding, pushes the body in chunks, then
// calls finish(). A 7bit/8bit part whose rewritten lines would pass 998 octets is re-encoded as
// quoted-printable; for the top level the caller must change the header (topLevelEncoding()).
//
//   MimeRewriter walker(content_type, cte, handler, [&](std::string_view bytes) { out += bytes; });
//   walker.push(chunk1); walker.push(chunk2);
//   if (auto status = walker.finish(); !status) ...   // the handler's first error
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mime/mime_header.h"
#include "mime/transfer_encoding.h"
#include "util/result.h"

namespace waybill::mime {

struct TextPart {
  std::string media_type;  // "text/html" or "text/plain"
  std::string charset;
};

// Returns the part's new decoded content (or an error, which fails the whole walk).
using TextPartHandler = std::function<Result<std::string>(const TextPart&, std::string_view decoded)>;
using OutputSink = std::function<void(std::string_view bytes)>;

struct WalkLimits {
  std::size_t max_text_part = 16u << 20;   // raw bytes of one text part held for rewriting
  std::size_t max_header_block = 64u << 10;
  std::size_t max_line = 64u << 10;        // longer lines stream on in pieces
  std::size_t max_depth = 32;              // nested multiparts
};

struct WalkReport {
  int parts_rewritten = 0;
  std::vector<std::string> skipped;  // why a text part was left untouched (for the log)
};

class MimeRewriter {
 public:
  MimeRewriter(std::string_view content_type, std::string_view transfer_encoding, TextPartHandler handler,
               OutputSink sink, WalkLimits limits = {});

  void push(std::string_view chunk);
  Status finish();

  const WalkReport& report() const { return report_; }
  // Set when the top-level part had to change its Content-Transfer-Encoding.
  std::optional<TransferEncoding> topLevelEncoding() const { return top_level_encoding_; }

 private:
  enum class Mode { PartHeaders, TextBody, Pass };

  void onLine(std::string_view line, bool complete);
  bool handleBoundary(std::string_view line);
  void startPart(const std::vector<RawHeaderField>& headers, std::string_view terminator);
  void enterBody(const ContentType& type, std::string_view encoding, std::string_view disposition, bool top_level);
  void finishTextPart(bool before_boundary);
  void passTextPartUntouched(std::string reason);
  void flushHeldHeaders();
  void emit(std::string_view bytes) { sink_(bytes); }

  TextPartHandler handler_;
  OutputSink sink_;
  WalkLimits limits_;
  WalkReport report_;
  std::optional<TransferEncoding> top_level_encoding_;
  std::optional<Error> error_;

  Mode mode_ = Mode::Pass;
  std::vector<std::string> boundaries_;  // enclosing multiparts, innermost last
  std::string pending_;                  // input not yet split into lines
  bool at_line_start_ = true;
  std::string eol_;                      // the message's line ending, from its first line

  // The part being read: its raw header lines (held back while its body may be rewritten).
  std::vector<RawHeaderField> part_headers_;
  std::string header_terminator_;
  std::size_t header_bytes_ = 0;
  bool held_top_level_ = false;
  TextPart text_part_;
  TransferEncoding text_encoding_ = TransferEncoding::SevenBit;
  std::string text_raw_;
};

// For tests, the fuzzer and tools: a whole message (header block + body) through the walker.
Result<std::string> rewriteWholeMessage(std::string_view message, const TextPartHandler& handler,
                                        WalkReport* report = nullptr);

}  // namespace waybill::mime
