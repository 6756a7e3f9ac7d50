// dkim_bench: the cost of one DKIM signature (rsa-2048 and ed25519) over a 6 KB message, with the
// key parsed once at load time (what waybill-milter does) next to its peer in the same run: the
// same signature when libopendkim has to parse the PEM text itself, as it does for every
// signature when it is handed a key it has not seen (OpenSSL 3.0's decoder set-up dominates).
//
//   cmake -B build -DWAYBILL_BENCH=ON && ninja -C build dkim_bench
//   build/bin/dkim_bench --benchmark_min_time=1
#include <benchmark/benchmark.h>

#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <string>

#include "dkim/dkim_signer.h"
#include "dkim/key_generator.h"

namespace {

using namespace waybill;
using namespace waybill::dkim;

std::string messageBody(std::size_t target_bytes) {
  std::string body = "<html><body>\r\n";
  for (int i = 0; body.size() < target_bytes; ++i)
    body += "<p>Invoice line " + std::to_string(i) + ": <a href=\"https://shop.example/i/" + std::to_string(i) +
            "\">details</a> Lorem ipsum dolor sit amet.</p>\r\n";
  return body + "</body></html>\r\n";
}

// A key as waybill-milter loads it: written to a file, read and parsed by loadSigningKey.
SigningKey loadedKey(KeyAlgorithm algorithm) {
  auto generated = generateKey(algorithm);
  if (!generated) std::abort();
  char path[] = "/tmp/waybill-dkim-bench-XXXXXX";
  const int fd = ::mkstemp(path);
  if (fd < 0) std::abort();
  ::close(fd);
  std::ofstream(path) << generated->private_pem;
  auto key = loadSigningKey({"bench", "sender.example", "s2026", path});
  ::unlink(path);
  if (!key) std::abort();
  return *key;
}

void signOnce(benchmark::State& state, const DkimLibrary& library, const SigningKey& key, const std::string& body) {
  auto signature = DkimSignature::begin(library, key, "bench");
  if (!signature) {
    state.SkipWithError(signature.error().c_str());
    return;
  }
  (void)signature->header("From", "App <app@sender.example>");
  (void)signature->header("To", "reader@dest.example");
  (void)signature->header("Subject", "Your invoice");
  (void)signature->header("Date", "Tue, 1 Dec 2026 10:00:00 +0000");
  (void)signature->header("Message-ID", "<invoice-1@sender.example>");
  (void)signature->endOfHeaders();
  (void)signature->body(body);
  auto value = signature->finish();
  if (!value) state.SkipWithError(value.error().c_str());
  benchmark::DoNotOptimize(value);
}

// parsed_once = false: the PEM text differs from the loaded one by a trailing line break, so the
// parsed key is not found and libopendkim parses the text again (what every signature cost before).
void BM_Signature(benchmark::State& state, KeyAlgorithm algorithm, bool parsed_once) {
  auto library = DkimLibrary::create();
  if (!library) std::abort();
  SigningKey key = loadedKey(algorithm);
  if (!parsed_once) key.pem += "\n";
  const std::string body = messageBody(6000);
  for (auto _ : state) signOnce(state, **library, key, body);
}

BENCHMARK_CAPTURE(BM_Signature, rsa2048_parsed_once, KeyAlgorithm::Rsa, true)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_Signature, rsa2048_parsed_per_signature, KeyAlgorithm::Rsa, false)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_Signature, ed25519_parsed_once, KeyAlgorithm::Ed25519, true)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_Signature, ed25519_parsed_per_signature, KeyAlgorithm::Ed25519, false)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
