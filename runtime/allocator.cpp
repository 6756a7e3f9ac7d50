#include "runtime/allocator.h"

#include <malloc.h>

namespace waybill {

bool tuneAllocatorForMessages() {
  const bool mmap_set = mallopt(M_MMAP_THRESHOLD, static_cast<int>(kMessageMmapThreshold)) == 1;
  const bool trim_set = mallopt(M_TRIM_THRESHOLD, static_cast<int>(kMessageTrimThreshold)) == 1;
  return mmap_set && trim_set;
}

}  // namespace waybill
