#include "stages/track_links.h"

#include <algorithm>
#include <chrono>
#include <thread>

#include "html/link_rewriter.h"
#include "runtime/log.h"
#include "mail/address.h"
#include "mime/mime_rewriter.h"
#include "stages/copy_stamp.h"
#include "store/message_copy_store.h"
#include "util/sha256.h"

namespace waybill::milter {
namespace {

// The tracking URLs of one recipient: BASE/c/TOKEN carries the original URL inside the signed
// token, so trackd redirects with the key alone (database down) and only to URLs we signed, and
// the time it was signed, so trackd.click_max_age can retire old links.
class RecipientUrls : public html::TrackingUrls {
 public:
  RecipientUrls(const TokenCodec& codec, const std::string& base_url, const Uuid& recipient)
      : codec_(codec),
        base_url_(base_url),
        recipient_(recipient),
        issued_at_(static_cast<std::uint32_t>(std::chrono::duration_cast<std::chrono::seconds>(
                                                  std::chrono::system_clock::now().time_since_epoch())
                                                  .count())) {}
  std::string clickUrl(std::string_view url) override {
    return base_url_ + "/c/" + codec_.encode({TokenKind::Click, recipient_, std::string(url), issued_at_});
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
  std::uint32_t issued_at_;
};

// A UUID (version 8: application-defined) from the first 16 bytes of SHA-256 over `text`.
Uuid uuidFromDigest(std::string_view text) {
  const Sha256::Digest digest = sha256(text);
  Uuid id;
  std::copy(digest.begin(), digest.begin() + 16, id.bytes.begin());
  id.bytes[6] = static_cast<std::uint8_t>((id.bytes[6] & 0x0F) | 0x80);
  id.bytes[8] = static_cast<std::uint8_t>((id.bytes[8] & 0x3F) | 0x80);
  return id;
}

std::string bodyDigest(const mime::BodySpool& body) {
  Sha256 hash;
  (void)body.forEachChunk([&](std::string_view chunk) {
    hash.update(chunk);
    return Status{};
  });
  const Sha256::Digest digest = hash.finish();
  return std::string(reinterpret_cast<const char*>(digest.data()), digest.size());
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

// A copy carries the body that the template stage rendered: rendering it again is wasted work.
bool isTemplateHeader(std::string_view name) {
  return equalsIgnoreCase(name, "X-Waybill-Template") || equalsIgnoreCase(name, "X-Waybill-Template-Data");
}

// The headers of a copy: as they came in, with the edits of the stages before this one applied
// (so every copy leaves with the same generated Message-ID and Date), except that the control
// headers stay for the copy's own pass to read (and remove), and a stamp is added on top.
std::string copyHeaderBlock(const MilterMessage& message, const std::string& stamp) {
  std::vector<HeaderField> headers;
  for (const auto& field : message.headers)
    if (!equalsIgnoreCase(field.name, kCopyHeader) && !isTemplateHeader(field.name)) headers.push_back(field);
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
                                 CopyInjector& injector, CopyVerdicts& verdicts,
                                 MessageAttempts& attempts)
    : keys_(keys), codec_(keys), settings_(std::move(settings)), pool_(pool), injector_(injector), verdicts_(verdicts), attempts_(attempts) {}

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

namespace {

// Recording a copy that is already in Postfix's queue must not fail for a short database outage
// (a tempfail would make the client's retry send it again): wait for the database a while.
Status recordInjected(ConnectionPool& pool, const Uuid& message_id, const std::vector<Uuid>& ids,
                      const std::vector<std::string>& addresses, const std::vector<bool>& confirmed) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  for (;;) {
    Status recorded = pool.withConnection([&](PgConnection& conn) { return store::recordCopies(conn, message_id, ids, addresses, confirmed); });
    if (recorded || std::chrono::steady_clock::now() > deadline) return recorded;
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
}

// How long a retried transaction waits for Postfix's word (its queue manager's log line, read
// by waybill-logd) on a copy an earlier attempt left unconfirmed, before sending it again.
constexpr auto kCopySettleWait = std::chrono::seconds(15);

// The copies an earlier attempt injected. Those it left unconfirmed are waited for: qmgr logs a
// committed queue file within a second or so (after Postfix starts again, if it had stopped).
Result<store::InjectedCopies> earlierCopies(ConnectionPool& pool, const std::vector<Uuid>& ids) {
  const auto deadline = std::chrono::steady_clock::now() + kCopySettleWait;
  for (;;) {
    auto found = pool.withConnection([&](PgConnection& conn) { return store::copiesInjected(conn, ids); });
    if (!found || found->unsettled.empty() || std::chrono::steady_clock::now() > deadline) return found;
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
}

}  // namespace

// All copies in one batch: one query for those an earlier attempt injected, the injector's
// parallel send (no database connection held meanwhile: each copy's own milter pass needs one),
// one insert recording those now in Postfix's queue.
Status TrackLinksStage::injectCopies(MilterMessage& message) {
  const auto& recipients = message.envelope.recipients;
  message.recipients_to_delete.assign(recipients.begin() + 1, recipients.end());
  const std::vector<Uuid> copy_ids(message.recipient_ids.begin() + 1, message.recipient_ids.end());
  // A copy's wait for its verdict and its record take at most ~40 s (CopyVerdicts, recordInjected).
  const auto turn = attempts_.take(message.id.toString(), std::chrono::seconds(60));
  if (!turn) return makeError("an earlier attempt of this message is still making its copies");
  auto earlier = earlierCopies(pool_, copy_ids);
  if (!earlier) return makeError("cannot record message copies: " + earlier.error());
  std::vector<CopyRequest> requests;
  std::vector<std::size_t> requested;  // index into recipients
  for (std::size_t i = 1; i < recipients.size(); ++i) {
    const std::string id = message.recipient_ids[i].toString();
    if (earlier->settled.contains(id)) {
      log::info("queue {}: copy for {} was injected by an earlier attempt", message.envelope.queue_id, recipients[i]);
      continue;
    }
    if (earlier->unsettled.contains(id))
      log::warning("queue {}: no word from Postfix's log on the copy for {} an earlier attempt left unconfirmed; "
                   "sending it again (it may arrive twice; is waybill-logd running?)",
                   message.envelope.queue_id, recipients[i]);
    requests.push_back({recipients[i], copyHeaderBlock(message, makeCopyStamp(*keys_, message.id, message.recipient_ids[i],
                                                                              recipients[i]))});
    requested.push_back(i);
    verdicts_.expect(id);
  }
  const std::vector<CopyResult> results = injector_.injectAll(message.envelope.sender, requests, *message.body);
  std::string first_failure;
  std::vector<Uuid> queued_ids;
  std::vector<std::string> queued_addresses;
  std::vector<bool> confirmed;  // the listener's 250 seen, not only the copy's milter pass
  for (std::size_t k = 0; k < requested.size(); ++k) {
    const std::size_t i = requested[k];
    const std::string id = message.recipient_ids[i].toString();
    bool queued = results.at(k).queued();
    if (results[k].state == CopyResult::State::Unknown) {
      queued = verdicts_.await(id, std::chrono::seconds(10)).value_or(false);
      log::warning("queue {}: the copy listener went away with the copy for {} ({}); its milter pass says {}",
                   message.envelope.queue_id, recipients[i], results[k].error,
                   queued ? "queued (recorded unconfirmed: a retry waits for Postfix's log on it)" : "not queued");
    }
    verdicts_.forget(id);
    if (queued) {
      queued_ids.push_back(message.recipient_ids[i]);
      queued_addresses.push_back(recipients[i]);
      confirmed.push_back(results[k].queued());
    } else if (first_failure.empty()) {
      first_failure = "re-injecting the copy for " + recipients[i] + ": " + results[k].error;
    }
  }
  if (auto status = recordInjected(pool_, message.id, queued_ids, queued_addresses, confirmed); !status)
    return makeError("cannot record message copies: " + status.error());
  if (!first_failure.empty()) return makeError(first_failure);
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
    html::RewriteOptions part_options = options;
    part_options.charset = part.charset;
    html::LinkRewriter rewriter(urls, std::move(part_options));
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
  if (message.is_copy) {
    Status stored = pool_.withConnection([&](PgConnection& conn) {
      return store::recordCopyQueueId(conn, message.id, message.recipient_ids[0], message.envelope.queue_id);
    });
    if (!stored) return tempFail(message, "cannot record the copy's queue id: " + stored.error());
  }
  // One body fits all recipients when nothing is tracked; a copy has one recipient already.
  if (message.track_mode != TrackMode::None && !message.is_copy && message.envelope.recipients.size() > 1) {
    Status split = injectCopies(message);
    if (!split) return tempFail(message, split.error());
  }
  if (message.track_mode == TrackMode::None) return StageStatus::proceed();
  auto urls = rewriteFor(message, 0);
  if (!urls) return tempFail(message, urls.error());
  log::info("queue {}: tracked {} link(s) for {}{}", message.envelope.queue_id, urls->size(),
            message.envelope.recipients[0], message.is_copy ? " (copy)" : "");
  // The message's record holds its links for every recipient: a copy records none of its own.
  if (!message.is_copy) message.tracked_urls = std::move(*urls);
  return StageStatus::proceed();
}

}  // namespace waybill::milter
