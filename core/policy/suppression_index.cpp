#include "policy/suppression_index.h"

#include <algorithm>

#include "mail/address.h"

namespace waybill::policy {
namespace {

// Lower-cases into a reused buffer: the lookup path allocates nothing for typical addresses.
std::string_view lowered(std::string_view text, std::string& buffer) {
  buffer.assign(text);
  for (auto& c : buffer)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return buffer;
}

}  // namespace

std::uint32_t SuppressionIndex::intern(std::string_view scope_value) {
  if (auto it = scope_value_ids_.find(scope_value); it != scope_value_ids_.end()) return it->second;
  const auto id = static_cast<std::uint32_t>(scope_values_.size());
  scope_values_.emplace_back(scope_value);
  scope_value_ids_.emplace(std::string(scope_value), id);
  return id;
}

std::optional<std::uint32_t> SuppressionIndex::internedId(std::string_view scope_value) const {
  if (auto it = scope_value_ids_.find(scope_value); it != scope_value_ids_.end()) return it->second;
  return std::nullopt;
}

void SuppressionIndex::upsert(const Suppression& row) { upsert(Suppression(row)); }

void SuppressionIndex::upsert(Suppression&& row) {
  const std::uint32_t id = intern(row.scope == SuppressionScope::Global ? std::string_view() : row.scope_value);
  auto it = by_recipient_.find(std::string_view(row.recipient));
  if (it == by_recipient_.end()) it = by_recipient_.try_emplace(std::move(row.recipient)).first;
  for (auto& entry : it->second) {
    if (entry.scope == row.scope && entry.scope_value_id == id) {
      entry.reason = row.reason;
      entry.since = row.since;
      return;
    }
  }
  it->second.push_back(Entry{row.since, id, row.scope, row.reason});
  ++entries_;
}

void SuppressionIndex::erase(std::string_view recipient, SuppressionScope scope, std::string_view scope_value) {
  auto it = by_recipient_.find(recipient);
  if (it == by_recipient_.end()) return;
  const auto id = internedId(scope == SuppressionScope::Global ? std::string_view() : scope_value);
  if (!id) return;
  auto& entries = it->second;
  const auto before = entries.size();
  entries.erase(std::remove_if(entries.begin(), entries.end(),
                               [&](const Entry& e) { return e.scope == scope && e.scope_value_id == *id; }),
                entries.end());
  entries_ -= before - entries.size();
  if (entries.empty()) by_recipient_.erase(it);
}

void SuppressionIndex::clear() {
  by_recipient_.clear();
  scope_value_ids_.clear();
  scope_values_.clear();
  entries_ = 0;
}

std::optional<SuppressionMatch> SuppressionIndex::match(std::string_view recipient, std::string_view sender) const {
  thread_local std::string recipient_buffer, sender_buffer;
  auto it = by_recipient_.find(lowered(recipient, recipient_buffer));
  if (it == by_recipient_.end()) return std::nullopt;

  const std::string_view sender_lower = lowered(sender, sender_buffer);
  const auto at = sender_lower.rfind('@');
  const auto sender_id = sender_lower.empty() ? std::nullopt : internedId(sender_lower);
  const auto domain_id = at == std::string_view::npos ? std::nullopt : internedId(sender_lower.substr(at + 1));

  const Entry* best = nullptr;
  for (const auto& entry : it->second) {
    const bool applies = entry.scope == SuppressionScope::Global ||
                         (entry.scope == SuppressionScope::Domain && domain_id == entry.scope_value_id) ||
                         (entry.scope == SuppressionScope::Sender && sender_id == entry.scope_value_id);
    // Enum order is Sender < Domain < Global: keep the widest scope.
    if (applies && (!best || entry.scope > best->scope)) best = &entry;
  }
  if (!best) return std::nullopt;
  return SuppressionMatch{best->scope, scope_values_[best->scope_value_id], best->reason, best->since};
}

}  // namespace waybill::policy
