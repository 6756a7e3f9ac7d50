#include "libmilter_adapter.h"

#include <libmilter/mfapi.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <memory>
#include <mutex>

#include "runtime/log.h"
#include "mail/address.h"
#include "socket_activation.h"

namespace waybill::milter {
namespace {

const runtime::Snapshot<Pipeline>* g_pipelines = nullptr;  // set once before smfi_main; libmilter offers no user pointer
BodySpoolSettings g_spool;              // likewise
MilterMetrics* g_metrics = nullptr;     // likewise; null: not counted

// Connections between accept and close: on SIGTERM they end before libmilter is told to stop.
// Counted from the accept (not the connect step, which follows the option negotiation): a
// connection accepted just before accepts were refused would otherwise look idle and be cut,
// and Postfix would tempfail its message at the end of data.
class OpenSessions {
 public:
  void opened() {
    std::lock_guard lock(mutex_);
    ++count_;
  }
  void closed() {
    std::lock_guard lock(mutex_);
    if (count_ > 0) --count_;
    idle_.notify_all();
  }
  int count() {
    std::lock_guard lock(mutex_);
    return count_;
  }
  bool waitIdle(std::chrono::seconds limit) {
    std::unique_lock lock(mutex_);
    return idle_.wait_for(lock, limit, [this] { return count_ == 0; });
  }

 private:
  std::mutex mutex_;
  std::condition_variable idle_;
  int count_ = 0;
};
OpenSessions g_sessions;
// Postfix keeps a milter connection for one SMTP session; systemd's stop timeout is 90 s.
constexpr std::chrono::seconds kDrainLimit{60};

struct MilterSession {
  std::string client_address;
  std::string daemon_name;
  std::string helo;
  std::unique_ptr<MilterMessage> message;
  // Set by a callback that has no reply to give (negotiated away, see onNegotiate): the message
  // is tempfailed at its end instead.
  std::string failure;
};

// Steps Postfix need not wait on: without these, every header and body chunk is a round trip
// between cleanup and the milter, and Postfix's throughput halves. The callbacks below then
// answer SMFIS_NOREPLY and keep any failure for end of message, the one step that replies.
constexpr unsigned long kActions = SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_CHGBODY | SMFIF_CHGFROM | SMFIF_ADDRCPT |
                                  SMFIF_DELRCPT | SMFIF_QUARANTINE;
constexpr unsigned long kNoReplySteps =
    SMFIP_NR_CONN | SMFIP_NR_HELO | SMFIP_NR_MAIL | SMFIP_NR_RCPT | SMFIP_NR_HDR | SMFIP_NR_BODY;

MilterSession* sessionOf(SMFICTX* ctx) { return static_cast<MilterSession*>(smfi_getpriv(ctx)); }

std::string macro(SMFICTX* ctx, const char* name) {
  const char* value = smfi_getsymval(ctx, const_cast<char*>(name));
  return value ? value : "";
}

// The macros each step needs, asked of the MTA (Postfix honours a milter's own lists over
// main.cf's milter_*_macros): the client address is not among Postfix's default connect macros;
// the SASL login ({auth_authen}, known from MAIL FROM on) and the client decide whether the
// submitter is trusted (outbound only); later steps need nothing but the queue id.
bool requestMacros(SMFICTX* ctx) {
  const std::pair<int, const char*> lists[] = {{SMFIM_CONNECT, "{client_addr} _ {daemon_name}"},
                                               {SMFIM_ENVFROM, "i {auth_authen}"},
                                               {SMFIM_ENVRCPT, "i"},
                                               {SMFIM_EOM, "i"}};
  for (const auto& [step, macros] : lists)
    if (smfi_setsymlist(ctx, step, const_cast<char*>(macros)) != MI_SUCCESS) return false;
  return true;
}

// libmilter offers every no-reply step (it fakes those an older MTA lacks), so asking for
// them is always safe; the actions are exactly the ones registered.
sfsistat onNegotiate(SMFICTX* ctx, unsigned long, unsigned long offered_steps, unsigned long, unsigned long,
                     unsigned long* actions, unsigned long* steps, unsigned long*, unsigned long*) {
  if ((offered_steps & kNoReplySteps) != kNoReplySteps) {
    log::error("libmilter does not offer the no-reply protocol steps (0x{:x}); refusing the connection",
               offered_steps);
    return SMFIS_REJECT;
  }
  *actions = kActions;
  *steps |= kNoReplySteps;
  if (!requestMacros(ctx)) log::warning("libmilter refused the macro lists; Postfix's milter_*_macros apply");
  return SMFIS_CONTINUE;
}

sfsistat onConnect(SMFICTX* ctx, char*, _SOCK_ADDR*) {
  auto* session = new MilterSession;
  session->client_address = macro(ctx, "{client_addr}");
  session->daemon_name = macro(ctx, "{daemon_name}");
  smfi_setpriv(ctx, session);
  return SMFIS_NOREPLY;
}

sfsistat onHelo(SMFICTX* ctx, char* name) {
  if (auto* session = sessionOf(ctx)) session->helo = name ? name : "";
  return SMFIS_NOREPLY;
}

// Keeps the first failure of a message for its end (no reply can be given before that).
sfsistat failLater(MilterSession* session, std::string why) {
  if (session && session->failure.empty()) session->failure = std::move(why);
  return SMFIS_NOREPLY;
}

sfsistat onEnvelopeFrom(SMFICTX* ctx, char** argv) {
  auto* session = sessionOf(ctx);
  if (!session) return SMFIS_NOREPLY;  // no connect step seen: end of message tempfails
  session->failure.clear();
  session->message = std::make_unique<MilterMessage>();
  auto& envelope = session->message->envelope;
  envelope.sender = stripAngles(argv[0] ? argv[0] : "");
  envelope.client_address = session->client_address;
  envelope.daemon_name = session->daemon_name;
  envelope.authenticated_as = macro(ctx, "{auth_authen}");
  session->message->body = std::make_shared<mime::BodySpool>(g_spool.directory, g_spool.memory_limit);
  return SMFIS_NOREPLY;
}

sfsistat onEnvelopeRecipient(SMFICTX* ctx, char** argv) {
  auto* session = sessionOf(ctx);
  if (!session || !session->message) return failLater(session, "recipient before sender");
  session->message->envelope.recipients.push_back(stripAngles(argv[0] ? argv[0] : ""));
  return SMFIS_NOREPLY;
}

sfsistat onHeader(SMFICTX* ctx, char* name, char* value) {
  auto* session = sessionOf(ctx);
  if (!session || !session->message) return failLater(session, "header before sender");
  session->message->headers.push_back({name ? name : "", value ? value : ""});
  return SMFIS_NOREPLY;
}

sfsistat onBody(SMFICTX* ctx, unsigned char* bytes, size_t length) {
  auto* session = sessionOf(ctx);
  if (!session || !session->message) return failLater(session, "body before sender");
  if (!session->failure.empty()) return SMFIS_NOREPLY;  // already failed: the rest is not kept
  session->message->body_bytes += length;
  if (auto status = session->message->body->append({reinterpret_cast<const char*>(bytes), length}); !status) {
    if (g_metrics) g_metrics->countEarlyTempfail("body_spool");
    return failLater(session, status.error());
  }
  return SMFIS_NOREPLY;
}

// Hands the copies' recipients over and puts the rewritten body in place, in chunks.
bool applyBodyEdits(SMFICTX* ctx, const MilterMessage& message) {
  for (const auto& recipient : message.suppressed_recipients) {
    const std::string quoted = "<" + recipient + ">";
    if (smfi_delrcpt(ctx, const_cast<char*>(quoted.c_str())) != MI_SUCCESS) {
      log::error("queue {}: tempfail: the MTA refused to drop suppressed recipient {}", message.envelope.queue_id, recipient);
      return false;
    }
  }
  for (const auto& recipient : message.recipients_to_delete) {
    const std::string quoted = "<" + recipient + ">";
    if (smfi_delrcpt(ctx, const_cast<char*>(quoted.c_str())) != MI_SUCCESS) {
      log::error("queue {}: tempfail: the MTA refused to drop recipient {}", message.envelope.queue_id, recipient);
      return false;
    }
  }
  if (!message.replacement_body) return true;
  Status replaced = message.replacement_body->forEachChunk([ctx](std::string_view chunk) -> Status {
    auto* data = reinterpret_cast<unsigned char*>(const_cast<char*>(chunk.data()));
    if (smfi_replacebody(ctx, data, static_cast<int>(chunk.size())) != MI_SUCCESS)
      return makeError("the MTA refused the rewritten body");
    return {};
  });
  if (!replaced) log::error("queue {}: tempfail: {}", message.envelope.queue_id, replaced.error());
  return replaced.ok();
}

bool applyEdits(SMFICTX* ctx, const MilterMessage& message) {
  for (const auto& edit : message.header_edits) {
    char* name = const_cast<char*>(edit.name.c_str());
    char* value = edit.value ? const_cast<char*>(edit.value->c_str()) : nullptr;
    int rc = MI_FAILURE;
    switch (edit.kind) {
      case HeaderEdit::Kind::Add: rc = smfi_addheader(ctx, name, value); break;
      case HeaderEdit::Kind::Change: rc = smfi_chgheader(ctx, name, edit.index, value); break;
      case HeaderEdit::Kind::Insert: rc = smfi_insheader(ctx, edit.index, name, value); break;
    }
    if (rc != MI_SUCCESS) {
      log::error("queue {}: tempfail: the MTA refused a header change to {}", message.envelope.queue_id, edit.name);
      return false;
    }
  }
  if (message.new_sender) {
    const std::string sender = "<" + *message.new_sender + ">";
    if (smfi_chgfrom(ctx, const_cast<char*>(sender.c_str()), nullptr) != MI_SUCCESS) {
      log::error("queue {}: tempfail: the MTA refused the VERP sender {}", message.envelope.queue_id, sender);
      return false;
    }
  }
  if (message.quarantine_reason &&
      smfi_quarantine(ctx, const_cast<char*>(message.quarantine_reason->c_str())) != MI_SUCCESS)
    return false;
  return true;
}

sfsistat reply(SMFICTX* ctx, const StageStatus& status) {
  if (status.outcome == StageStatus::Outcome::Discard) return SMFIS_DISCARD;
  smfi_setreply(ctx, const_cast<char*>(status.reply_code.c_str()), const_cast<char*>(status.enhanced_code.c_str()),
                const_cast<char*>(status.text.c_str()));
  return status.outcome == StageStatus::Outcome::Reject ? SMFIS_REJECT : SMFIS_TEMPFAIL;
}

// The pipeline's answer, then the edits it asked for; `cause` names what stopped the message.
StageStatus finishMessage(SMFICTX* ctx, const Pipeline& pipeline, MilterMessage& message, std::string_view& cause) {
  const char* stopped_by = "";
  StageStatus status = pipeline.run(message, &stopped_by);
  if (!status.proceeding()) {
    cause = stopped_by;
    return status;
  }
  if (!applyEdits(ctx, message) || !applyBodyEdits(ctx, message)) {
    cause = "mta_edit";
    return StageStatus::tempFail("Waybill could not edit the message");
  }
  return status;
}

sfsistat onEndOfMessage(SMFICTX* ctx) {
  auto* session = sessionOf(ctx);
  if (!session || !session->message || !session->failure.empty()) {
    log::error("queue {}: tempfail: {}", macro(ctx, "i"),
               session && !session->failure.empty() ? session->failure : "milter session out of step");
    if (session) session->message.reset();
    return SMFIS_TEMPFAIL;
  }
  const auto started = std::chrono::steady_clock::now();
  std::unique_ptr<MilterMessage> message = std::move(session->message);
  message->envelope.queue_id = macro(ctx, "i");
  message->envelope.via_smtp = !submittedViaSendmail(session->helo, macro(ctx, "_"));
  std::string_view cause;
  const std::shared_ptr<const Pipeline> pipeline = g_pipelines->get();  // kept to the end: a reload may swap it
  const StageStatus status = finishMessage(ctx, *pipeline, *message, cause);
  pipeline->finished(*message, status.proceeding());
  if (g_metrics) {
    const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - started;
    g_metrics->record({*message, status.outcome, cause, elapsed.count()});
  }
  return status.proceeding() ? SMFIS_CONTINUE : reply(ctx, status);
}

sfsistat onAbort(SMFICTX* ctx) {
  if (auto* session = sessionOf(ctx)) {
    session->message.reset();
    session->failure.clear();
  }
  return SMFIS_CONTINUE;
}

sfsistat onClose(SMFICTX* ctx) {
  auto* session = sessionOf(ctx);
  smfi_setpriv(ctx, nullptr);
  delete session;
  g_sessions.closed();  // libmilter closes each accepted connection once, with or without a connect step
  return SMFIS_CONTINUE;
}

// libmilter answers end of message with several small writes (each header edit, the body, the
// verdict). Over TCP, Nagle's algorithm holds each one back until the previous is acknowledged,
// and Postfix acknowledges late (it has nothing to send until the verdict): tens of ms per
// message. Accepted connections inherit the option from the listening socket.
void disableNagle(int listening_fd) {
  sockaddr_storage address{};
  socklen_t length = sizeof address;
  if (listening_fd < 0 || getsockname(listening_fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) return;
  if (address.ss_family != AF_INET && address.ss_family != AF_INET6) return;
  const int on = 1;
  if (setsockopt(listening_fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on) != 0)
    log::warning("cannot set TCP_NODELAY on the milter socket ({}); edits may be delayed", std::strerror(errno));
}

// With a passed socket libmilter must neither unlink the unit's path nor bind its own socket.
bool openSocket(const std::optional<ActivatedSocket>& passed, const std::string& spec) {
  armSocketAdoption(passed.value_or(ActivatedSocket{}));  // also records libmilter's listening fd
  errno = 0;
  const bool opened = smfi_opensocket(!passed) == MI_SUCCESS;
  const int why = errno;  // what socket(), bind() or listen() said inside libmilter
  const bool adopted = disarmSocketAdoption();
  if (!opened || (passed && !adopted)) {
    log::error("option 'milter.socket': cannot listen on '{}': {}", spec,
               !opened && why != 0 ? std::strerror(why) : "the address is not one libmilter can open");
    return false;
  }
  disableNagle(listeningSocket());
  if (passed) log::info("listening on {} (socket passed by systemd; milter.socket ignored)", spec);
  else log::info("listening on {}", spec);
  return true;
}

void drainSessions() {
  log::info("stopped accepting; draining {} milter session(s)", g_sessions.count());
  if (!g_sessions.waitIdle(kDrainLimit))
    log::warning("{} milter session(s) still open after {} s; exiting anyway", g_sessions.count(), kDrainLimit.count());
}

}  // namespace

int runMilter(const runtime::Snapshot<Pipeline>& pipelines, const std::string& socket_spec, int timeout_seconds,
              BodySpoolSettings spool, MilterMetrics* metrics) {
  g_pipelines = &pipelines;
  g_metrics = metrics;
  g_spool = std::move(spool);
  smfiDesc description{};
  description.xxfi_name = const_cast<char*>("waybill-milter");
  description.xxfi_version = SMFI_VERSION;
  description.xxfi_flags = kActions;
  description.xxfi_connect = onConnect;
  description.xxfi_helo = onHelo;
  description.xxfi_envfrom = onEnvelopeFrom;
  description.xxfi_envrcpt = onEnvelopeRecipient;
  description.xxfi_header = onHeader;
  description.xxfi_body = onBody;
  description.xxfi_eom = onEndOfMessage;
  description.xxfi_abort = onAbort;
  description.xxfi_close = onClose;
  description.xxfi_negotiate = onNegotiate;

  auto passed = takeActivatedSocket();
  if (!passed) {
    log::error("{}", passed.error());
    return 78;
  }
  const std::string spec = *passed ? (*passed)->libmilter_spec : socket_spec;
  if (smfi_setconn(const_cast<char*>(spec.c_str())) != MI_SUCCESS) {
    log::error("option 'milter.socket': '{}' is not a valid milter socket", spec);
    return 78;
  }
  smfi_settimeout(timeout_seconds);
  if (smfi_register(description) != MI_SUCCESS) {
    log::error("libmilter refused to register the filter");
    return 70;
  }
  if (!openSocket(*passed, spec)) return 71;
  setOnAccepted([] { g_sessions.opened(); });
  setDrainBeforeStop(drainSessions);
  return smfi_main() == MI_SUCCESS ? 0 : 70;
}

}  // namespace waybill::milter
