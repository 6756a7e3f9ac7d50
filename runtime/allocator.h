// Allocator tuning for daemons that build a few hundred KB of strings per message and free them.
//
// glibc serves allocations over its mmap threshold (128 KB at start) with fresh mmap()s, and
// gives the top of a heap back to the kernel once it exceeds the trim threshold. A 100 KB HTML
// part decodes, rewrites and re-encodes into several such buffers, so with the defaults every
// message pays page faults for memory the previous message just returned: the rewriter runs at
// half speed (bench/rewriter_bench.cpp). Fixed thresholds keep per-message buffers in the heap;
// larger ones (a big text part) still come from mmap and go back at once, so memory stays bounded.
//
//   int main() { waybill::tuneAllocatorForMessages(); ... }
#pragma once

#include <cstddef>

namespace waybill {

inline constexpr std::size_t kMessageMmapThreshold = 1u << 20;  // allocations above: own mapping
inline constexpr std::size_t kMessageTrimThreshold = 4u << 20;  // free heap top kept per arena

// Call once at start, before threads. Returns false if glibc refused a setting (then the defaults stay).
bool tuneAllocatorForMessages();

}  // namespace waybill
