#include "policy/policy_request.h"

#include <fmt/format.h>

#include <algorithm>

namespace waybill::policy {

std::string_view PolicyRequest::get(std::string_view name) const {
  for (const auto& [key, value] : attributes_)
    if (view(key) == name) return view(value);
  return {};
}

bool PolicyRequest::has(std::string_view name) const {
  return std::any_of(attributes_.begin(), attributes_.end(), [&](const auto& a) { return view(a.first) == name; });
}

void PolicyRequest::add(std::string_view name, std::string_view value) {
  if (text_.empty()) {
    text_.reserve(1024);
    attributes_.reserve(32);
  }
  const auto at = static_cast<std::uint32_t>(text_.size());
  text_.append(name).append(value);
  attributes_.push_back({{at, static_cast<std::uint32_t>(name.size())},
                         {at + static_cast<std::uint32_t>(name.size()), static_cast<std::uint32_t>(value.size())}});
}

void PolicyRequestReader::push(std::string_view bytes) {
  if (failed()) return;
  // Drop what was parsed already so the buffer holds at most one partial request.
  if (consumed_ > 0 && consumed_ == buffer_.size()) {
    buffer_.clear();
    consumed_ = 0;
  } else if (consumed_ > limits_.max_request) {
    buffer_.erase(0, consumed_);
    consumed_ = 0;
  }
  buffer_.append(bytes);
}

bool PolicyRequestReader::fail(std::string reason) {
  error_ = std::move(reason);
  buffer_.clear();
  consumed_ = 0;
  return false;
}

// Adds one non-empty "name=value" line to the request being assembled.
bool PolicyRequestReader::takeLine(std::string_view line) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);  // tolerate CRLF clients
  const auto equals = line.find('=');
  if (equals == std::string_view::npos || equals == 0) return fail("line without name=value");
  if (current_.size() >= limits_.max_attributes) return fail("too many attributes");
  const auto name = line.substr(0, equals);
  const bool name_ok = std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
  });
  if (!name_ok) return fail("attribute name with invalid characters");
  current_.add(name, line.substr(equals + 1));
  return true;
}

std::optional<PolicyRequest> PolicyRequestReader::next() {
  while (!failed()) {
    const std::string_view pending = std::string_view(buffer_).substr(consumed_);
    const auto newline = pending.find('\n');
    if (newline == std::string_view::npos) {
      if (pending.size() > limits_.max_line) fail("line too long");
      else if (request_bytes_ + pending.size() > limits_.max_request) fail("request too large");
      return std::nullopt;
    }
    if (newline > limits_.max_line) {
      fail("line too long");
      return std::nullopt;
    }
    request_bytes_ += newline + 1;
    if (request_bytes_ > limits_.max_request) {
      fail("request too large");
      return std::nullopt;
    }
    const std::string_view line = pending.substr(0, newline);
    consumed_ += newline + 1;
    if (line.empty() || line == "\r") {
      if (current_.size() == 0) {  // an empty line alone is not a request
        fail("empty request");
        return std::nullopt;
      }
      request_bytes_ = 0;
      return std::exchange(current_, PolicyRequest{});
    }
    if (!takeLine(line)) return std::nullopt;
  }
  return std::nullopt;
}

std::string formatPolicyReply(std::string_view action) {
  std::string reply = "action=";
  reply.reserve(action.size() + 10);
  for (char c : action) reply.push_back(c == '\n' || c == '\r' ? ' ' : c);
  reply += "\n\n";
  return reply;
}

}  // namespace waybill::policy
