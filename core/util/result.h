// Result<T>: a value or an error message, for failures caused by input or environment
// (bad configuration, database away, malformed message). Broken invariants throw/abort instead.
// Result<T, E> carries a richer error E (error() returns it; for the default Error, its message).
//
//   Result<int> parsePort(std::string_view s);
//   auto port = parsePort("25");
//   if (!port) log::error("bad port: {}", port.error());
//   use(*port);
#pragma once

#include <string>
#include <type_traits>
#include <utility>
#include <variant>

namespace waybill {

struct Error {
  std::string message;
};

inline Error makeError(std::string message) { return Error{std::move(message)}; }

template <typename T, typename E = Error>
class [[nodiscard]] Result {
 public:
  Result(T value) : data_(std::move(value)) {}           // NOLINT: implicit by design
  Result(E error) : data_(std::move(error)) {}           // NOLINT: implicit by design

  bool ok() const { return std::holds_alternative<T>(data_); }
  explicit operator bool() const { return ok(); }

  T& value() & { return std::get<T>(data_); }
  const T& value() const& { return std::get<T>(data_); }
  T&& value() && { return std::get<T>(std::move(data_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  decltype(auto) error() const {
    if constexpr (std::is_same_v<E, Error>) return (std::get<E>(data_).message);
    else return (std::get<E>(data_));
  }

 private:
  std::variant<T, E> data_;
};

// Result<void>: success or an error message.
template <>
class [[nodiscard]] Result<void, Error> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error.message)), failed_(true) {}  // NOLINT

  bool ok() const { return !failed_; }
  explicit operator bool() const { return ok(); }
  const std::string& error() const { return error_; }

 private:
  std::string error_;
  bool failed_ = false;
};

using Status = Result<void>;

}  // namespace waybill
