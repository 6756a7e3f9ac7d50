#include "dkim/opendkim_allocations.h"

#include <openssl/evp.h>

#include <cstdlib>
#include <mutex>
#include <unordered_map>
#include <vector>

namespace waybill::dkim::opendkim_allocations {
namespace {

// libopendkim's private `struct dkim_crypto` (dkim-types.h, OpenSSL build). A block of this size
// whose fields agree with each other (see looksLikeEd25519Crypto) is read as one.
struct CryptoBlock {
  unsigned char pad;
  int keysize;  // bits
  std::size_t inlen;
  std::size_t outlen;
  EVP_PKEY* pkey;
  void* rsa;  // NULL for ed25519
  void* keydata;
  unsigned char* in;
  unsigned char* out;
};

struct Block {
  const void* owner;
  std::size_t size;
};

struct Registry {
  std::mutex mutex;
  std::unordered_map<void*, Block> blocks;
  // Crypto blocks libopendkim freed, by owner: if their `out` buffer is still live once the
  // handle is gone, the library took the leaking path and their key is ours to free.
  std::unordered_map<const void*, std::vector<CryptoBlock>> freed_crypto;
};

Registry& registry() {
  static auto* instance = new Registry;  // outlives static destructors that may still sign
  return *instance;
}

bool looksLikeEd25519Crypto(const CryptoBlock& crypto, const void* owner, const Registry& r) {
  if (crypto.pkey == nullptr || crypto.rsa != nullptr || crypto.out == nullptr || crypto.outlen == 0) return false;
  if (crypto.keysize != static_cast<int>(crypto.outlen * 8)) return false;
  auto out = r.blocks.find(crypto.out);
  return out != r.blocks.end() && out->second.owner == owner && out->second.size == crypto.outlen;
}

}  // namespace

void* allocate(void* owner, std::size_t size) {
  void* pointer = std::malloc(size);
  if (pointer && owner) {
    auto& r = registry();
    std::lock_guard lock(r.mutex);
    r.blocks[pointer] = Block{owner, size};
  }
  return pointer;
}

void release(void* owner, void* pointer) {
  if (!pointer) return;
  if (owner) {
    auto& r = registry();
    std::lock_guard lock(r.mutex);
    auto block = r.blocks.find(pointer);
    if (block != r.blocks.end()) {
      if (block->second.size == sizeof(CryptoBlock)) {
        const auto& crypto = *static_cast<const CryptoBlock*>(pointer);
        if (looksLikeEd25519Crypto(crypto, block->second.owner, r)) r.freed_crypto[block->second.owner].push_back(crypto);
      }
      r.blocks.erase(block);
    }
  }
  std::free(pointer);
}

std::size_t reclaimOrphans(const void* owner) {
  auto& r = registry();
  std::unordered_map<void*, Block> orphans;
  std::vector<CryptoBlock> freed_crypto;
  {
    std::lock_guard lock(r.mutex);
    for (auto it = r.blocks.begin(); it != r.blocks.end();) {
      if (it->second.owner == owner) {
        orphans.insert(*it);
        it = r.blocks.erase(it);
      } else {
        ++it;
      }
    }
    if (auto it = r.freed_crypto.find(owner); it != r.freed_crypto.end()) {
      freed_crypto = std::move(it->second);
      r.freed_crypto.erase(it);
    }
  }
  for (const auto& crypto : freed_crypto) {
    auto out = orphans.find(crypto.out);
    if (out == orphans.end()) continue;  // the library released this key itself
    if (EVP_PKEY_get_base_id(crypto.pkey) != EVP_PKEY_ED25519) continue;
    EVP_PKEY_free(crypto.pkey);
    std::free(crypto.out);
    orphans.erase(out);
  }
  return orphans.size();
}

std::size_t liveBlocks(const void* owner) {
  auto& r = registry();
  std::lock_guard lock(r.mutex);
  std::size_t count = 0;
  for (const auto& [pointer, block] : r.blocks) count += block.owner == owner;
  return count;
}

}  // namespace waybill::dkim::opendkim_allocations
