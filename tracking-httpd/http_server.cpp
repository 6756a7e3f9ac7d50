#include "http_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <algorithm>
#include <chrono>
#include <memory>
#include <optional>
#include <thread>

#include "runtime/log.h"

namespace waybill::trackd {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using Protocol = asio::generic::stream_protocol;
using Stream = beast::basic_stream<Protocol>;

constexpr std::uint32_t kHeaderLimit = 8 * 1024;
constexpr std::uint64_t kBodyLimit = 4 * 1024;
constexpr std::size_t kBufferLimit = 16 * 1024;
constexpr auto kSealInterval = std::chrono::milliseconds(100);
constexpr auto kDrainTime = std::chrono::seconds(1);
constexpr rlim_t kSpareDescriptors = 64;  // spool, database, metrics, logs, listening sockets
constexpr rlim_t kDescriptorsPerWorker = 8;  // its copies of the listening sockets, epoll, segment
constexpr auto kAcceptErrorLogInterval = std::chrono::seconds(10);
// Sent to a connection over trackd.max_connections before anything is read from it.
constexpr std::string_view kOverCapacity =
    "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\nContent-Length: 12\r\nRetry-After: 1\r\n"
    "Connection: close\r\n\r\ntry shortly\n";

std::string_view view(beast::string_view text) { return {text.data(), text.size()}; }

std::string peerAddress(int fd) {
  sockaddr_storage address{};
  socklen_t length = sizeof address;
  if (::getpeername(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) return {};
  char text[INET6_ADDRSTRLEN] = {};
  if (address.ss_family == AF_INET)
    ::inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(&address)->sin_addr, text, sizeof text);
  else if (address.ss_family == AF_INET6)
    ::inet_ntop(AF_INET6, &reinterpret_cast<sockaddr_in6*>(&address)->sin6_addr, text, sizeof text);
  return text;
}

// X-Forwarded-For style header: the last entry is the one our own proxy added.
std::string forwardedAddress(std::string_view header) {
  const std::size_t comma = header.rfind(',');
  std::string_view last = comma == std::string_view::npos ? header : header.substr(comma + 1);
  while (!last.empty() && last.front() == ' ') last.remove_prefix(1);
  while (!last.empty() && last.back() == ' ') last.remove_suffix(1);
  const std::string text(last);
  in6_addr scratch{};
  if (::inet_pton(AF_INET, text.c_str(), &scratch) == 1 || ::inet_pton(AF_INET6, text.c_str(), &scratch) == 1)
    return text;
  return {};
}

struct Worker {
  Worker(EventSpool& spool, unsigned index, WorkerCounters& counters, TrackHandler& track_handler,
         const ServerOptions& server_options, ConnectionCounters& connection_counters)
      : segment(spool, index),
        context{segment, counters},
        handler(track_handler),
        options(server_options),
        connections(connection_counters) {}

  EventSpool::Segment segment;  // declared first: destroyed (sealed) after every connection
  WorkerContext context;
  TrackHandler& handler;
  const ServerOptions& options;
  ConnectionCounters& connections;  // shared by every worker
  std::chrono::steady_clock::time_point last_accept_error_log{};
  asio::io_context ioc{1};
  std::vector<asio::basic_socket_acceptor<Protocol>> acceptors;
  std::optional<asio::steady_timer> seal_timer;
  bool draining = false;  // touched only on this worker's thread
};

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(Protocol::socket socket, Worker& worker) : stream_(std::move(socket)), worker_(worker) {
    client_ip_ = peerAddress(stream_.socket().native_handle());
  }
  ~Session() { worker_.connections.open.fetch_sub(1, std::memory_order_relaxed); }
  void start() { readRequest(); }

 private:
  void readRequest() {
    parser_.emplace();
    parser_->header_limit(kHeaderLimit);
    parser_->body_limit(kBodyLimit);
    stream_.expires_after(std::chrono::seconds(worker_.options.timeout_seconds));
    http::async_read(stream_, buffer_, *parser_,
                     [self = shared_from_this()](beast::error_code ec, std::size_t) { self->onRead(ec); });
  }

  void onRead(beast::error_code ec) {
    if (ec == http::error::header_limit || ec == http::error::buffer_overflow)
      return replyAndClose("431 Request Header Fields Too Large");
    if (ec == http::error::body_limit) return replyAndClose("413 Content Too Large");
    const bool malformed = ec && ec.category() == http::make_error_code(http::error::bad_target).category() &&
                           ec != http::error::end_of_stream && ec != http::error::partial_message;
    if (malformed)
      return replyAndClose("400 Bad Request");
    if (ec) return close();
    const auto& request = parser_->get();
    RequestFacts facts{view(request.method_string()), view(request.target()), request.body(), client_ip_,
                       view(request[http::field::user_agent]), request.keep_alive()};
    std::string forwarded;
    if (!worker_.options.real_ip_header.empty()) {
      forwarded = forwardedAddress(view(request[worker_.options.real_ip_header]));
      if (!forwarded.empty()) facts.client_ip = forwarded;
    }
    // Draining: answer, then close, so the client's next request reaches the next instance
    // through the listening socket instead of dying with this process.
    if (worker_.draining) facts.keep_alive = false;
    worker_.handler.handle(facts, worker_.context, response_);
    write(facts.keep_alive);
  }

  void write(bool keep_alive) {
    stream_.expires_after(std::chrono::seconds(worker_.options.timeout_seconds));
    asio::async_write(stream_, asio::buffer(response_),
                      [self = shared_from_this(), keep_alive](beast::error_code ec, std::size_t) {
                        if (ec || !keep_alive) return self->close();
                        self->readRequest();
                      });
  }

  void replyAndClose(std::string_view status) {
    response_ = fmt::format("HTTP/1.1 {}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", status);
    write(false);
  }

  void close() {
    beast::error_code ignored;
    stream_.socket().shutdown(Protocol::socket::shutdown_send, ignored);
    stream_.close();
  }

  Stream stream_;
  Worker& worker_;
  beast::flat_buffer buffer_{kBufferLimit};
  std::optional<http::request_parser<http::string_body>> parser_;
  std::string response_;
  std::string client_ip_;
};

// Over the cap: take what the client already sent (so closing sends FIN, not a reset that could
// discard our answer), answer 503 and close, all without waiting on the client.
void refuse(Protocol::socket& socket) {
  const int fd = socket.native_handle();
  char scratch[4096];
  for (int i = 0; i < 4; ++i)
    if (::recv(fd, scratch, sizeof scratch, MSG_DONTWAIT) < static_cast<ssize_t>(sizeof scratch)) break;
  (void)::send(fd, kOverCapacity.data(), kOverCapacity.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
  ::shutdown(fd, SHUT_WR);
  beast::error_code ignored;
  socket.close(ignored);
}

void accept(Worker& worker, asio::basic_socket_acceptor<Protocol>& acceptor) {
  acceptor.async_accept([&worker, &acceptor](beast::error_code ec, Protocol::socket socket) {
    if (ec == asio::error::operation_aborted) return;  // shutting down
    if (ec) {
      // Out of descriptors and the like: count, log now and then, breathe, go on accepting.
      worker.connections.accept_errors.fetch_add(1, std::memory_order_relaxed);
      const auto now = std::chrono::steady_clock::now();
      if (now - worker.last_accept_error_log >= kAcceptErrorLogInterval) {
        log::warning("accept: {} (counted in waybill_trackd_accept_errors_total; logged every 10 s at most)",
                     ec.message());
        worker.last_accept_error_log = now;
      }
      auto pause = std::make_shared<asio::steady_timer>(worker.ioc, std::chrono::milliseconds(100));
      pause->async_wait([&worker, &acceptor, pause](beast::error_code) { accept(worker, acceptor); });
      return;
    }
    if (worker.connections.open.fetch_add(1, std::memory_order_relaxed) >= worker.options.max_connections) {
      worker.connections.open.fetch_sub(1, std::memory_order_relaxed);
      worker.connections.refused.fetch_add(1, std::memory_order_relaxed);
      refuse(socket);
      return accept(worker, acceptor);
    }
    const int one = 1;
    if (socket.local_endpoint().protocol().family() != AF_UNIX)
      ::setsockopt(socket.native_handle(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    std::make_shared<Session>(std::move(socket), worker)->start();  // the Session gives the count back
    accept(worker, acceptor);
  });
}

void sealPeriodically(Worker& worker) {
  worker.seal_timer->expires_after(kSealInterval);
  worker.seal_timer->async_wait([&worker](beast::error_code ec) {
    if (ec) return;
    worker.segment.seal();
    sealPeriodically(worker);
  });
}

void startWorker(Worker& worker, const std::vector<ListenSocket>& sockets) {
  for (const auto& listen : sockets) {
    const Protocol protocol(listen.family, listen.family == AF_UNIX ? 0 : IPPROTO_TCP);
    auto& acceptor = worker.acceptors.emplace_back(worker.ioc);
    // Each worker gets its own descriptor of the shared listening socket; the kernel hands each
    // new connection to one of the waiting workers.
    acceptor.assign(protocol, ::dup(listen.fd));
  }
  for (auto& acceptor : worker.acceptors) accept(worker, acceptor);
  worker.seal_timer.emplace(worker.ioc);
  sealPeriodically(worker);
}

// SIGHUP: reload, then wait for the next one.
void reloadOnHangup(asio::signal_set& hangups, const std::function<void()>& on_reload) {
  hangups.async_wait([&hangups, &on_reload](beast::error_code error, int) {
    if (error) return;
    sd_notify(0, "RELOADING=1");
    on_reload();
    sd_notify(0, "READY=1");
    reloadOnHangup(hangups, on_reload);
  });
}

// The soft descriptor limit raised to the hard one (as nginx's worker_rlimit_nofile), and the
// connection cap lowered to fit under it, so the cap answers 503 before accept() hits EMFILE.
int connectionCapWithinDescriptors(int wanted, std::size_t workers) {
  const rlim_t spare = kSpareDescriptors + kDescriptorsPerWorker * workers;
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return wanted;
  if (limit.rlim_cur < limit.rlim_max) {
    rlimit raised = limit;
    raised.rlim_cur = limit.rlim_max;
    if (::setrlimit(RLIMIT_NOFILE, &raised) == 0) limit = raised;
  }
  if (limit.rlim_cur == RLIM_INFINITY || limit.rlim_cur > static_cast<rlim_t>(wanted) + spare) return wanted;
  const int fitting = limit.rlim_cur > 2 * spare ? static_cast<int>(limit.rlim_cur - spare)
                                                 : static_cast<int>(std::max<rlim_t>(1, limit.rlim_cur / 2));
  log::warning("trackd.max_connections {} does not fit the descriptor limit {} (LimitNOFILE): using {}", wanted,
               static_cast<unsigned long long>(limit.rlim_cur), fitting);
  return fitting;
}

}  // namespace

void runHttpServer(const std::vector<ListenSocket>& sockets, const ServerOptions& requested, TrackHandler& handler,
                   EventSpool& spool, TrackdMetrics& metrics, const std::function<void()>& on_reload) {
  ServerOptions options = requested;
  options.max_connections = connectionCapWithinDescriptors(requested.max_connections, requested.threads);
  metrics.watchSpool(&spool);
  std::vector<std::unique_ptr<Worker>> workers;
  // Signals are caught before any connection is served, so a SIGTERM during start-up is a
  // graceful stop too, not the default sudden death.
  asio::io_context control;
  asio::signal_set signals(control, SIGINT, SIGTERM);
  asio::signal_set hangups(control, SIGHUP);
  for (unsigned i = 0; i < options.threads; ++i) {
    workers.push_back(std::make_unique<Worker>(spool, i, metrics.worker(i), handler, options, metrics.connections()));
    startWorker(*workers.back(), sockets);
  }
  std::vector<std::thread> threads;
  for (auto& worker : workers) threads.emplace_back([&worker] { worker->ioc.run(); });
  for (const auto& s : sockets) log::info("listening on {}", s.name);
  sd_notify(0, "READY=1");

  reloadOnHangup(hangups, on_reload);
  signals.async_wait([&](beast::error_code, int signal) {
    log::info("signal {}: stopping", signal);
    hangups.cancel();
    sd_notify(0, "STOPPING=1");
    for (auto& worker : workers)
      asio::post(worker->ioc, [&w = *worker] {
        w.draining = true;
        for (auto& acceptor : w.acceptors) acceptor.close();
      });
  });
  control.run();
  std::this_thread::sleep_for(kDrainTime);  // requests in flight finish; idle keep-alives do not hold us
  for (auto& worker : workers) worker->ioc.stop();
  for (auto& thread : threads) thread.join();
  workers.clear();  // seals every segment
}

}  // namespace waybill::trackd
