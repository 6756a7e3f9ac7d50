// policyd_bench: a load generator speaking Postfix's policy protocol, for waybill-policyd and
// postfwd alike. Like Postfix's smtpd, each connection has one request in flight; one epoll
// thread drives all connections, so the generator costs little CPU next to the server.
//
//   policyd_bench 127.0.0.1:PORT [--connections 4] [--seconds 10] [--recipients 2000000]
//                 [--sender news@a.example]
// Recipients are user<K>@dest<K % 1000>.example with K uniform in [0, recipients); prints one
// line: requests/s, latency percentiles, and how many answers were REJECT / DUNNO / other.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

struct Options {
  std::string host = "127.0.0.1";
  int port = 0;
  int connections = 4;
  double seconds = 10;
  long recipients = 2000000;
  std::string sender = "news@a.example";
};

struct Connection {
  int fd = -1;
  Clock::time_point sent_at;
  std::string reply;
};

struct Tally {
  std::vector<std::uint32_t> latencies_ns;
  long rejected = 0, dunno = 0, other = 0;
};

[[noreturn]] void die(const char* what) {
  std::perror(what);
  std::exit(1);
}

Options parseOptions(int argc, char** argv) {
  Options options;
  if (argc < 2) {
    std::fprintf(stderr, "usage: policyd_bench HOST:PORT [--connections N] [--seconds S] [--recipients N] [--sender A]\n");
    std::exit(64);
  }
  const std::string target = argv[1];
  options.host = target.substr(0, target.rfind(':'));
  options.port = std::atoi(target.c_str() + target.rfind(':') + 1);
  for (int i = 2; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--connections") options.connections = std::atoi(argv[i + 1]);
    else if (flag == "--seconds") options.seconds = std::atof(argv[i + 1]);
    else if (flag == "--recipients") options.recipients = std::atol(argv[i + 1]);
    else if (flag == "--sender") options.sender = argv[i + 1];
    else {
      std::fprintf(stderr, "unknown option %s\n", flag.c_str());
      std::exit(64);
    }
  }
  return options;
}

// Requests are made up front so the measuring loop only sends and reads.
std::vector<std::string> makeRequests(const Options& options, std::size_t count) {
  std::mt19937_64 random(42);
  std::uniform_int_distribution<long> pick(0, options.recipients - 1);
  std::vector<std::string> requests;
  requests.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    const long k = pick(random);
    char text[512];
    std::snprintf(text, sizeof text,
                  "request=smtpd_access_policy\nprotocol_state=RCPT\nprotocol_name=ESMTP\n"
                  "client_address=127.0.0.1\nclient_name=localhost\nhelo_name=app.example\n"
                  "sender=%s\nrecipient=user%ld@dest%ld.example\nrecipient_count=0\nqueue_id=\n"
                  "instance=%zx.1\nsize=0\nsasl_method=\nsasl_username=\n\n",
                  options.sender.c_str(), k, k % 1000, i);
    requests.emplace_back(text);
  }
  return requests;
}

int connectTo(const Options& options) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(options.port));
  inet_pton(AF_INET, options.host.c_str(), &address.sin_addr);
  if (fd < 0 || connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) die("connect");
  const int on = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
  return fd;
}

void send(Connection& connection, const std::string& request) {
  connection.sent_at = Clock::now();
  if (::send(connection.fd, request.data(), request.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(request.size()))
    die("send");
}

void count(Tally& tally, const std::string& reply) {
  if (reply.rfind("action=REJECT", 0) == 0) ++tally.rejected;
  else if (reply.rfind("action=DUNNO", 0) == 0 || reply.rfind("action=dunno", 0) == 0) ++tally.dunno;
  else ++tally.other;
}

std::uint32_t percentile(std::vector<std::uint32_t>& sorted, double p) {
  if (sorted.empty()) return 0;
  return sorted[std::min(sorted.size() - 1, static_cast<std::size_t>(p * static_cast<double>(sorted.size())))];
}

}  // namespace

int main(int argc, char** argv) {
  const Options options = parseOptions(argc, argv);
  const auto requests = makeRequests(options, 1 << 16);
  std::vector<Connection> connections(static_cast<std::size_t>(options.connections));
  const int poller = epoll_create1(0);
  std::size_t next = 0;
  for (std::size_t i = 0; i < connections.size(); ++i) {
    connections[i].fd = connectTo(options);
    epoll_event event{EPOLLIN, {.u64 = i}};
    epoll_ctl(poller, EPOLL_CTL_ADD, connections[i].fd, &event);
  }
  Tally tally;
  tally.latencies_ns.reserve(4000000);
  const auto started = Clock::now();
  const auto deadline = started + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(options.seconds));
  for (auto& connection : connections) send(connection, requests[next++ % requests.size()]);
  std::vector<epoll_event> ready(connections.size());
  char buffer[4096];
  bool running = true;
  while (running) {
    const int n = epoll_wait(poller, ready.data(), static_cast<int>(ready.size()), 1000);
    const auto now = Clock::now();
    for (int e = 0; e < n; ++e) {
      Connection& connection = connections[ready[e].data.u64];
      const ssize_t got = recv(connection.fd, buffer, sizeof buffer, 0);
      if (got <= 0) die("recv (server closed the connection)");
      connection.reply.append(buffer, static_cast<std::size_t>(got));
      if (connection.reply.size() < 2 || connection.reply.compare(connection.reply.size() - 2, 2, "\n\n") != 0) continue;
      tally.latencies_ns.push_back(static_cast<std::uint32_t>(
          std::min<long long>(std::chrono::duration_cast<std::chrono::nanoseconds>(now - connection.sent_at).count(),
                              UINT32_MAX)));
      count(tally, connection.reply);
      connection.reply.clear();
      if (now < deadline) send(connection, requests[next++ % requests.size()]);
    }
    running = Clock::now() < deadline || tally.latencies_ns.size() < next;
  }
  const double elapsed = std::chrono::duration<double>(Clock::now() - started).count();
  std::sort(tally.latencies_ns.begin(), tally.latencies_ns.end());
  const auto us = [&](double p) { return percentile(tally.latencies_ns, p) / 1000.0; };
  // The generator's own CPU use, so a reader can see it was not the limit.
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  const double cpu = static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
                     static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
  std::printf("connections=%d requests=%zu seconds=%.2f rps=%.0f p50_us=%.1f p99_us=%.1f p999_us=%.1f max_us=%.1f "
              "rejected=%ld dunno=%ld other=%ld generator_cpu=%.0f%%\n",
              options.connections, tally.latencies_ns.size(), elapsed,
              static_cast<double>(tally.latencies_ns.size()) / elapsed, us(0.5), us(0.99), us(0.999), us(1.0),
              tally.rejected, tally.dunno, tally.other, 100.0 * cpu / elapsed);
  for (auto& connection : connections) close(connection.fd);
  return tally.other == 0 ? 0 : 2;
}
