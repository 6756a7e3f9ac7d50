#include "webhook/delivery_order.h"

#include <algorithm>
#include <map>
#include <string_view>
#include <tuple>

namespace waybill::webhook {

std::vector<std::int64_t> deliveryOrder(const std::vector<OutboxEntry>& entries) {
  std::vector<std::int64_t> seqs;
  seqs.reserve(entries.size());
  std::map<std::string_view, std::vector<std::size_t>> by_recipient;
  for (std::size_t i = 0; i < entries.size(); ++i) {
    seqs.push_back(entries[i].seq);
    if (!entries[i].recipient_key.empty()) by_recipient[entries[i].recipient_key].push_back(i);
  }
  for (auto& [key, members] : by_recipient) {
    if (members.size() < 2) continue;
    std::vector<std::int64_t> slots;
    for (auto i : members) slots.push_back(entries[i].seq);
    std::sort(slots.begin(), slots.end());
    // Ties in time keep commit order.
    std::sort(members.begin(), members.end(), [&](std::size_t a, std::size_t b) {
      return std::tie(entries[a].occurred_us, entries[a].seq) < std::tie(entries[b].occurred_us, entries[b].seq);
    });
    for (std::size_t n = 0; n < members.size(); ++n) seqs[members[n]] = slots[n];
  }
  return seqs;
}

}  // namespace waybill::webhook
