#include "stages/track_links.h"

#include <openssl/evp.h>

#include <algorithm>

#include "html/link_rewriter.h"
#include "log/log.h"
#include "mail/address.h"
#include "mime/mime_rewriter.h"
#include "stages/copy_stamp.h"
#include "stages/tracking_store.h"

namespace waybill::milter {
namespace {

// The tracking URLs of one recipient: BASE/c/TOKEN carries the original URL inside the signed
// token, so trackd redirects with the key alone (database down) and only to URLs we signed.
class RecipientUrls : public html::TrackingUrls {
 public:
  RecipientUrls(const TokenCodec& codec, const std::string& base_url, const Uuid& recipient)
      : codec_(codec), base_url_(base_url), recipient_(recipient) {}
  std::string clickUrl(std::string_view url) override {
    return base_url_ + "/c/" + codec_.encode({TokenKind::Click, recipient_, std::string(url)});
  }
  std::string openPixelUrl() override { return base_url_ + "/o/" + codec_.encode({TokenKind::Open, recipient_, ""}); }
  bool isTrackingUrl(std::string_view url) const override {
    return url.size() > base_url_.size() && equalsIgnoreCase(url.substr(0, base_url_.size()), base_url_) &&
           url[base_url_.size()] == '/';
  }

 private:
  const TokenCodec& codec_;
  const std::string& base_url_;
  Uuid recipient_;
};

// A UUID (version 8: application-defined) from the first 16 bytes of SHA-256 over `text`.
Uuid uuidFromDigest(std::string_view text) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(text.data(), text.size(), digest, &length, EVP_sha256(), nullptr);
  Uuid id;
  std::copy(digest, digest + 16, id.bytes.begin());
  id.bytes[6] = static_cast<std::uint8_t>((id.bytes[6] & 0x0F) | 0x80);
  id.bytes[8] = static_cast<std::uint8_t>((id.bytes[8] & 0x3F) | 0x80);
  return id;
}

std::string bodyDigest(const mime::BodySpool& body) {
  EVP_MD_CTX* context = EVP_MD_CTX_new();
  EVP_DigestInit_ex(context, EVP_sha256(), nullptr);
  (void)body.forEachChunk([&](std::string_view chunk) {
    EVP_DigestUpdate(context, chunk.data(), chunk.size());
    return Status{};
  });
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_DigestFinal_ex(context, digest, &length);
  EVP_MD_CTX_free(context);
  return std::string(reinterpret_cast<const char*>(digest), length);
}

// The URLs of List-Unsubscribe (<https://...>, <mailto:...>): never rewritten in the body.
std::vector<std::string> unsubscribeUrls(const MilterMessage& message) {
  std::vector<std::string> urls;
  const std::string* header = message.header("List-Unsubscribe");
  if (!header) return urls;
  for (std::size_t open = header->find('<'); open != std::string::npos; open = header->find('<', open + 1)) {
    const std::size_t close = header->find('>', open);
    if (close == std::string::npos) break;
    urls.push_back(header->substr(open + 1, close - open - 1));
  }
  return urls;
}

bool isControlHeader(std::string_view name) { return name.size() > 10 && equalsIgnoreCase(name.substr(0, 10), "X-Waybill-"); }

// The headers of a copy: as they came in, with the edits of the stages before this one applied
// (so every copy leaves with the same generated Message-ID and Date), except that the control
// headers stay for the copy's own pass to read (and remove), and a stamp is added on top.
std::string copyHeaderBlock(const MilterMessage& message, const std::string& stamp) {
  std::vector<HeaderField> headers;
  for (const auto& field : message.headers)
    if (!equalsIgnoreCase(field.name, kCopyHeader)) headers.push_back(field);
  for (const auto& edit : message.header_edits) {
    if (isControlHeader(edit.name)) continue;
    int seen = 0;
    auto target = std::find_if(headers.begin(), headers.end(), [&](const HeaderField& field) {
      return equalsIgnoreCase(field.name, edit.name) && ++seen == edit.index;
    });
    if (edit.kind == HeaderEdit::Kind::Insert && edit.value) {
      const auto at = std::min<std::size_t>(static_cast<std::size_t>(std::max(edit.index, 0)), headers.size());
      headers.insert(headers.begin() + static_cast<std::ptrdiff_t>(at), {edit.name, *edit.value});
    } else if (edit.kind == HeaderEdit::Kind::Change && target != headers.end()) {
      if (edit.value) target->value = *edit.value;
      else headers.erase(target);
    } else if (edit.value) {
      headers.push_back({edit.name, *edit.value});
    }
  }
  std::string block = std::string(kCopyHeader) + ": " + stamp + "\r\n";
  for (const auto& field : headers) block += field.name + ": " + field.value + "\r\n";
  return block + "\r\n";
}

StageStatus tempFail(const MilterMessage& message, const std::string& cause) {
  log::error("queue {}: tempfail: {}", message.envelope.queue_id, cause);
  return StageStatus::tempFail("Waybill cannot track the message now, try again later");
}

}  // namespace

std::string retryStableHeaders(const MilterMessage& message) {
  const std::string& queue_id = message.envelope.queue_id;
  const std::string* id = message.header("Message-ID");
  const bool postfix_id = id && !queue_id.empty() && id->find("." + queue_id + "@") != std::string::npos;
  // Absent (a remote client, no Postfix default): the one StandardHeadersStage made up, new each time.
  std::string basis = (id ? *id : message.message_id_header) + "\n";
  if (!id || postfix_id) {
    const std::string* date = message.header("Date");
    basis += (date ? *date : std::string()) + "\n";
  }
  const std::string* subject = message.header("Subject");
  return basis + (subject ? *subject : std::string()) + "\n";
}

TrackLinksStage::TrackLinksStage(std::shared_ptr<const KeyRing> keys, TrackLinksSettings settings, ConnectionPool& pool,
                                 CopyInjector& injector)
    : keys_(keys), codec_(keys), settings_(std::move(settings)), pool_(pool), injector_(injector) {}

void TrackLinksStage::adoptCopyOrDeriveIds(MilterMessage& message) const {
  const auto& recipients = message.envelope.recipients;
  if (const std::string* stamp = message.header(kCopyHeader); stamp && recipients.size() == 1) {
    if (auto ids = verifyCopyStamp(*keys_, *stamp, recipients[0])) {
      message.id = ids->message_id;
      message.recipient_ids = {ids->recipient_id};
      message.is_copy = true;
      return;
    } else {
      log::warning("queue {}: ignoring {}: {}", message.envelope.queue_id, kCopyHeader, ids.error());
    }
  }
  std::string basis = "waybill-message\n" + toLower(message.envelope.sender) + "\n";
  for (const auto& recipient : recipients) basis += toLower(recipient) + "\n";
  basis += retryStableHeaders(message);
  if (message.body) basis += bodyDigest(*message.body);
  message.id = uuidFromDigest(basis);
  message.recipient_ids.clear();
  for (const auto& recipient : recipients)
    message.recipient_ids.push_back(uuidFromDigest(message.id.toString() + "\n" + toLower(recipient)));
}

Status TrackLinksStage::injectCopies(MilterMessage& message, PgConnection& conn) {
  const auto& recipients = message.envelope.recipients;
  message.recipients_to_delete.clear();  // this may run a second time (withConnection)
  for (std::size_t i = 1; i < recipients.size(); ++i) {
    const Uuid& recipient_id = message.recipient_ids[i];
    message.recipients_to_delete.push_back(recipients[i]);
    auto done = copyInjected(conn, recipient_id);
    if (!done) return makeError("cannot record message copies: " + done.error());
    if (*done) {
      log::info("queue {}: copy for {} was injected by an earlier attempt", message.envelope.queue_id, recipients[i]);
      continue;
    }
    const std::string header_block =
        copyHeaderBlock(message, makeCopyStamp(*keys_, message.id, recipient_id, recipients[i]));
    if (auto status = injector_.inject(message.envelope.sender, recipients[i], header_block, *message.body); !status)
      return makeError("re-injecting the copy for " + recipients[i] + ": " + status.error());
    if (auto status = recordCopy(conn, message.id, recipient_id, recipients[i]); !status)
      return makeError("cannot record message copies: " + status.error());
  }
  return {};
}

Result<std::vector<std::string>> TrackLinksStage::rewriteFor(MilterMessage& message, std::size_t recipient) const {
  RecipientUrls urls(codec_, settings_.base_url, message.recipient_ids.at(recipient));
  html::RewriteOptions options;
  options.links = message.track_mode == TrackMode::All || message.track_mode == TrackMode::Clicks;
  options.pixel = message.track_mode == TrackMode::All || message.track_mode == TrackMode::Opens;
  options.text_links = settings_.rewrite_text_links;
  options.keep_urls = unsubscribeUrls(message);

  std::vector<std::string> rewritten;
  auto handler = [&](const mime::TextPart& part, std::string_view decoded) -> Result<std::string> {
    html::LinkRewriter rewriter(urls, options);
    auto out = part.media_type == "text/html" ? rewriter.rewriteHtml(decoded) : rewriter.rewriteText(decoded);
    rewritten.insert(rewritten.end(), rewriter.rewrittenUrls().begin(), rewriter.rewrittenUrls().end());
    return out;
  };
  auto output = std::make_shared<mime::BodySpool>(settings_.spool_dir, settings_.spool_memory_limit);
  Status spooled;
  const std::string* content_type = message.header("Content-Type");
  const std::string* encoding = message.header("Content-Transfer-Encoding");
  mime::MimeRewriter walker(content_type ? *content_type : "", encoding ? *encoding : "", handler,
                            [&](std::string_view bytes) {
                              if (spooled) spooled = output->append(bytes);
                            });
  if (auto read = message.body->forEachChunk([&](std::string_view chunk) {
        walker.push(chunk);
        return Status{};
      });
      !read)
    return makeError(read.error());
  if (auto walked = walker.finish(); !walked) return makeError("rewriting the body: " + walked.error());
  if (!spooled) return makeError(spooled.error());
  for (const auto& skipped : walker.report().skipped)
    log::info("queue {}: part left untracked: {}", message.envelope.queue_id, skipped);
  if (auto changed = walker.topLevelEncoding())
    message.header_edits.push_back({HeaderEdit::Kind::Change, "Content-Transfer-Encoding", 1,
                                    std::string(mime::transferEncodingName(*changed))});
  message.replacement_body = std::move(output);
  return rewritten;
}

StageStatus TrackLinksStage::onEndOfMessage(MilterMessage& message) {
  if (!message.body || message.envelope.recipients.empty()) return StageStatus::proceed();
  adoptCopyOrDeriveIds(message);
  // One body fits all recipients when nothing is tracked; a copy has one recipient already.
  if (message.track_mode != TrackMode::None && !message.is_copy && message.envelope.recipients.size() > 1) {
    Status split = pool_.withConnection([&](PgConnection& conn) { return injectCopies(message, conn); });
    if (!split) return tempFail(message, split.error());
  }
  if (message.track_mode == TrackMode::None) return StageStatus::proceed();
  auto urls = rewriteFor(message, 0);
  if (!urls) return tempFail(message, urls.error());
  if (message.is_copy) {
    // The original transaction recorded the message; the copy adds its own recipient's links.
    Status stored = pool_.withConnection([&](PgConnection& conn) {
      return recordLinks(conn, message.id, message.recipient_ids[0], *urls);
    });
    if (!stored) return tempFail(message, "cannot record message links: " + stored.error());
  } else {
    message.tracked_urls = std::move(*urls);  // recorded with the message (record stage)
  }
  log::info("queue {}: tracked {} link(s) for {}{}", message.envelope.queue_id,
            message.is_copy ? urls->size() : message.tracked_urls.size(),
            message.envelope.recipients[0], message.is_copy ? " (copy)" : "");
  return StageStatus::proceed();
}

}  // namespace waybill::milter
