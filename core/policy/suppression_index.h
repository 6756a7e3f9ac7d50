// SuppressionIndex: the whole suppression list in memory, answering "may SENDER mail RECIPIENT?"
// with a few hash lookups. Sender addresses and domains repeat across millions of rows, so they
// are interned once and entries carry a 32-bit id: about 130 bytes per suppressed recipient.
// Not thread-safe by itself: policyd guards it with a shared_mutex (many readers, one updater).
//
//   SuppressionIndex index;
//   index.upsert({"bob@x.test", SuppressionScope::Sender, "news@a.test", SuppressionReason::Unsubscribed, t});
//   if (auto hit = index.match("bob@x.test", "news@a.test")) reject(hit->reason, hit->since);
#pragma once

#include <boost/container/small_vector.hpp>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "policy/suppression.h"

namespace waybill::policy {

// One row of the suppressions table, as policyd needs it.
struct Suppression {
  std::string recipient;    // lower-case address
  SuppressionScope scope = SuppressionScope::Global;
  std::string scope_value;  // lower-case sender address, sender domain, or "" for global
  SuppressionReason reason = SuppressionReason::Manual;
  std::int64_t since = 0;   // created_at, seconds since the epoch
};

struct SuppressionMatch {
  SuppressionScope scope;
  std::string scope_value;
  SuppressionReason reason;
  std::int64_t since;
};

class SuppressionIndex {
 public:
  void reserve(std::size_t recipients) { by_recipient_.reserve(recipients); }
  void upsert(const Suppression& row);
  void upsert(Suppression&& row);  // moves the recipient string in (bulk loads)
  void erase(std::string_view recipient, SuppressionScope scope, std::string_view scope_value);
  void clear();

  // The suppression that stops `sender` from mailing `recipient`, if any. Both are compared
  // case-insensitively; the widest scope wins (global, then domain, then sender).
  std::optional<SuppressionMatch> match(std::string_view recipient, std::string_view sender) const;

  std::size_t recipients() const { return by_recipient_.size(); }
  std::size_t entries() const { return entries_; }

 private:
  struct Entry {
    std::int64_t since;
    std::uint32_t scope_value_id;
    SuppressionScope scope;
    SuppressionReason reason;
  };
  using Entries = boost::container::small_vector<Entry, 1>;

  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view text) const { return std::hash<std::string_view>{}(text); }
  };
  using StringMap = std::unordered_map<std::string, Entries, Hash, std::equal_to<>>;

  std::uint32_t intern(std::string_view scope_value);
  std::optional<std::uint32_t> internedId(std::string_view scope_value) const;

  StringMap by_recipient_;
  std::unordered_map<std::string, std::uint32_t, Hash, std::equal_to<>> scope_value_ids_;
  std::vector<std::string> scope_values_;  // id -> text; ids are never reused
  std::size_t entries_ = 0;
};

}  // namespace waybill::policy
