// PipeClient implementation: argument recognition, the [pipe] lines of the configuration, and
// the conversation with the daemon (greeting, envelope, streamed stdin, answer).
#include "pipe_client.h"
#include "runtime/posix_io.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>

namespace waybill::pipe {
namespace {

// The greeting is sent by the daemon as it accepts; a socket that holds us longer (systemd
// starting the daemon) is given this long before we run the one-shot program instead.
constexpr int kGreetingTimeoutMs = 10000;

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

// "--name=value" or "--name value"; advances i past what it used.
std::optional<std::string> valueOf(std::string_view arg, std::string_view name, int& i, int argc,
                                   const char* const argv[]) {
  if (arg.substr(0, name.size()) != name) return std::nullopt;
  const std::string_view rest = arg.substr(name.size());
  if (!rest.empty() && rest.front() == '=') return std::string(rest.substr(1));
  if (!rest.empty() || i + 1 >= argc) return std::nullopt;
  return std::string(argv[++i]);
}

// One '\n'-terminated line (without it), or nullopt on timeout, EOF, error or overlong line.
std::optional<std::string> readLine(int fd, int timeout_ms, std::size_t max) {
  std::string line;
  while (line.size() <= max) {
    pollfd waiting{fd, POLLIN, 0};
    const int ready = ::poll(&waiting, 1, timeout_ms);
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) return std::nullopt;
    char c = 0;
    const ssize_t got = ::recv(fd, &c, 1, 0);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) return std::nullopt;
    if (c == '\n') return line;
    line += c;
  }
  return std::nullopt;
}

ConversationResult fallback(std::string why, bool quiet = false) {
  return {Conversation::Fallback, {}, std::move(why), quiet};
}

ConversationResult tempFail(std::string why) { return {Conversation::TempFail, {}, std::move(why), false}; }

// Connected and greeted READY, or the reason to run the one-shot program instead.
ConversationResult greet(int fd, const std::string& path) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (path.size() >= sizeof address.sun_path) return fallback("socket path too long");
  std::memcpy(address.sun_path, path.c_str(), path.size() + 1);
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
    const bool absent = errno == ENOENT;
    return fallback("cannot connect to unix:" + path + ": " + std::strerror(errno), absent);
  }
  const auto greeting = readLine(fd, kGreetingTimeoutMs, 64);
  if (!greeting) return fallback("no greeting from waybill-piped on unix:" + path);
  if (*greeting + "\n" != kGreetingReady) return fallback("waybill-piped answered '" + *greeting + "'");
  return {Conversation::Answered, {}, "", false};
}

// Envelope, then stdin in 64 KB netstrings, then the end frame. Returns why it failed, if it did.
std::optional<std::string> sendMessage(int fd, const ClientArgs& args, int input_fd) {
  const std::string gone = "waybill-piped went away mid-message";
  std::string frames = netstring(args.sender) + netstring(args.recipient) + netstring(args.queue_id);
  char buffer[65536];
  while (true) {
    const ssize_t got = ::read(input_fd, buffer, sizeof buffer);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) return std::string("reading the message: ") + std::strerror(errno);
    if (got == 0) break;
    frames += netstring(std::string_view(buffer, static_cast<std::size_t>(got)));
    if (!sendAll(fd, frames)) return gone;
    frames.clear();
  }
  frames += "0:,";
  if (!sendAll(fd, frames)) return gone;
  return std::nullopt;
}

// The whole file through read(2): iostreams would add their start-up cost to every message.
std::optional<std::string> readFile(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  std::string text;
  char buffer[16384];
  ssize_t got = 0;
  while ((got = ::read(fd, buffer, sizeof buffer)) > 0 && text.size() < (1u << 20))
    text.append(buffer, static_cast<std::size_t>(got));
  ::close(fd);
  if (got < 0) return std::nullopt;
  return text;
}

}  // namespace

std::optional<ClientArgs> parseClientArgs(int argc, const char* const argv[]) {
  ClientArgs args;
  bool have_recipient = false;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "-c" && i + 1 < argc) {
      args.config_file = argv[++i];
      args.config_explicit = true;
    } else if (auto v = valueOf(arg, "--config", i, argc, argv)) {
      args.config_file = *v;
      args.config_explicit = true;
    } else if (auto s = valueOf(arg, "--sender", i, argc, argv)) {
      args.sender = *s;
    } else if (auto r = valueOf(arg, "--recipient", i, argc, argv)) {
      args.recipient = *r;
      have_recipient = true;
    } else if (auto q = valueOf(arg, "--queue-id", i, argc, argv)) {
      args.queue_id = *q;
    } else if (auto p = valueOf(arg, "--pipe.socket", i, argc, argv)) {
      args.socket = *p;
    } else if (valueOf(arg, "--database.role", i, argc, argv)) {
      // For the one-shot program only (exec'd with these same arguments when no daemon answers).
    } else {
      return std::nullopt;
    }
  }
  if (!have_recipient || args.recipient.empty()) return std::nullopt;
  return args;
}

ClientSettings settingsFromIni(std::string_view text) {
  ClientSettings settings;
  std::string socket(kDefaultSocket);
  std::string section;
  bool socket_seen = false, timeout_seen = false;  // Program_options refuses repeats; first wins here
  while (!text.empty()) {
    const std::size_t end = std::min(text.find('\n'), text.size());
    std::string_view line = text.substr(0, end);
    text.remove_prefix(std::min(end + 1, text.size()));
    line = trim(line.substr(0, line.find('#')));
    if (line.size() >= 2 && line.front() == '[' && line.back() == ']') {
      section = std::string(trim(line.substr(1, line.size() - 2)));
      continue;
    }
    const std::size_t equals = line.find('=');
    if (equals == std::string_view::npos) continue;
    std::string key(trim(line.substr(0, equals)));
    if (!section.empty()) key = section + "." + key;
    const std::string_view value = trim(line.substr(equals + 1));
    if (key == "pipe.socket" && !socket_seen) {
      socket = std::string(value);
      socket_seen = true;
    } else if (key == "pipe.timeout" && !timeout_seen) {
      int seconds = 0;
      if (std::from_chars(value.data(), value.data() + value.size(), seconds).ec == std::errc() && seconds > 0)
        settings.timeout_seconds = seconds;
      timeout_seen = true;
    }
  }
  settings.socket_path = socket;  // still with its "unix:" prefix; checked by the caller
  return settings;
}

std::optional<ClientSettings> loadClientSettings(const ClientArgs& args) {
  const std::optional<std::string> text = readFile(args.config_file);
  if (!text && args.config_explicit) return std::nullopt;
  ClientSettings settings = settingsFromIni(text ? *text : std::string());
  std::string socket = args.socket ? *args.socket : settings.socket_path;
  if (socket.empty()) {
    settings.socket_path.clear();
    return settings;
  }
  if (socket.rfind("unix:/", 0) != 0) return std::nullopt;
  settings.socket_path = socket.substr(5);
  return settings;
}

ConversationResult converse(const ClientSettings& settings, const ClientArgs& args, int input_fd) {
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return fallback(std::string("socket: ") + std::strerror(errno));
  ConversationResult result = greet(fd, settings.socket_path);
  if (result.outcome == Conversation::Answered) {
    // From here stdin is being consumed: the only ways out are the daemon's answer or 75.
    const timeval timeout{settings.timeout_seconds, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
    if (auto failed = sendMessage(fd, args, input_fd)) {
      result = tempFail(*failed);
    } else if (auto line = readLine(fd, settings.timeout_seconds * 1000, 4096); !line) {
      result = tempFail("no answer from waybill-piped (died, or silent for pipe.timeout)");
    } else if (auto answer = parseAnswer(*line); !answer) {
      result = tempFail("garbled answer from waybill-piped");
    } else {
      result.answer = *answer;
    }
  }
  ::close(fd);
  return result;
}

}  // namespace waybill::pipe
