// libopendkim 2.11 (Debian 12's libopendkim11) frees a signing key's crypto block only for RSA:
// every ed25519-sha256 signature leaks its `struct dkim_crypto`, the parsed EVP_PKEY, its BIO
// and its output buffer (about 1.3 KiB per message, found by LeakSanitizer). A milter signing
// millions of messages cannot carry that, so every libopendkim allocation goes through these
// hooks, tagged with the signature that made it; after dkim_free the orphaned crypto block is
// recognised by its shape and released.
#pragma once

#include <cstddef>

namespace waybill::dkim::opendkim_allocations {

// Hooks for dkim_init(); `owner` is the memory closure given to dkim_sign() (nullptr for the
// library's own allocations).
void* allocate(void* owner, std::size_t size);
void release(void* owner, void* pointer);

// After dkim_free(): releases the ed25519 crypto block libopendkim left behind for `owner` and
// forgets every other block still tagged with it. Returns how many blocks it could not explain
// (0 on every version we know; the caller logs anything else).
std::size_t reclaimOrphans(const void* owner);

// Blocks currently tagged (for tests).
std::size_t liveBlocks(const void* owner);

}  // namespace waybill::dkim::opendkim_allocations
