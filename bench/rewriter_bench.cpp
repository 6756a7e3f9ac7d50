// rewriter_bench: MB/s of the MIME walker + LinkRewriter on a 100 KB newsletter (120 links,
// real HMAC tokens), as 8bit and as quoted-printable HTML, each next to its peer in the same run:
// the same walk with a handler that changes nothing (parse + decode cost only) and a plain
// memchr pass over the bytes (the floor).
//
//   cmake -B build-bench -DWAYBILL_BENCH=ON && ninja -C build-bench rewriter_bench
//   build-bench/bin/rewriter_bench --benchmark_min_time=2
//
// It runs with the milter's malloc thresholds (runtime/allocator.h), as the milter does.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>

#include "html/link_rewriter.h"
#include "mime/mime_rewriter.h"
#include "mime/transfer_encoding.h"
#include "token/tracking_token.h"
#include "runtime/allocator.h"

namespace {

using namespace waybill;

std::string newsletterHtml(std::size_t target_bytes) {
  std::string html = "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><style>td{padding:4px}</style></head><body>\n";
  for (int i = 0; html.size() < target_bytes; ++i) {
    html += "<table width=\"100%\" cellpadding=\"0\"><tr><td class=\"story\"><h2>Story " + std::to_string(i) +
            "</h2>\n<p>Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut "
            "labore et dolore magna aliqua. Ut enim ad minim veniam, quis nostrud exercitation ullamco laboris nisi "
            "ut aliquip ex ea commodo consequat. Grüße, café, naïve.</p>\n<p><a href=\"https://news.example/story/" +
            std::to_string(i) + "?utm_source=mail&amp;utm_medium=email\" style=\"color:#06c\">Read more</a> "
            "<img src=\"https://cdn.example/i/" + std::to_string(i) + ".png\" width=\"120\" alt=\"\"></p></td></tr></table>\n";
  }
  return html + "</body></html>\n";
}

std::string crlf(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '\n') out += '\r';
    out += c;
  }
  return out;
}

std::string message(const std::string& html, bool quoted_printable) {
  const std::string body = quoted_printable ? mime::encodeQuotedPrintable(crlf(html), "\r\n") : crlf(html);
  return std::string("From: news@news.example\r\nTo: reader@mail.example\r\nSubject: Weekly\r\nMIME-Version: 1.0\r\n") +
         "Content-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: " +
         (quoted_printable ? "quoted-printable" : "8bit") + "\r\n\r\n" + body;
}

class TokenUrls : public html::TrackingUrls {
 public:
  explicit TokenUrls(const TokenCodec& codec) : codec_(codec) {}
  std::string clickUrl(std::string_view url) override {
    return "https://t.example/c/" + codec_.encode({TokenKind::Click, recipient_, std::string(url)});
  }
  std::string openPixelUrl() override { return "https://t.example/o/" + codec_.encode({TokenKind::Open, recipient_, ""}); }
  bool isTrackingUrl(std::string_view url) const override { return url.rfind("https://t.example/", 0) == 0; }

 private:
  const TokenCodec& codec_;
  Uuid recipient_ = Uuid::random();
};

const TokenCodec& codec() {
  static const TokenCodec instance = [] {
    auto keys = std::make_shared<KeyRing>();
    keys->add(1, std::string(32, 'k'));
    return TokenCodec(keys);
  }();
  return instance;
}

void rewriteWithTokens(benchmark::State& state, bool quoted_printable) {
  const std::string input = message(newsletterHtml(100 * 1024), quoted_printable);
  for (auto _ : state) {
    TokenUrls urls(codec());
    auto out = mime::rewriteWholeMessage(input, [&](const mime::TextPart& part, std::string_view decoded) {
      html::LinkRewriter rewriter(urls, {});
      return part.media_type == "text/html" ? rewriter.rewriteHtml(decoded) : rewriter.rewriteText(decoded);
    });
    benchmark::DoNotOptimize(out);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * input.size()));
}

// The same rewrite with unsigned stand-in URLs: how much of the cost is the HMAC tokens.
class PlainUrls : public html::TrackingUrls {
 public:
  std::string clickUrl(std::string_view) override { return "https://t.example/c/" + std::to_string(++n_); }
  std::string openPixelUrl() override { return "https://t.example/o/pixel"; }
  bool isTrackingUrl(std::string_view url) const override { return url.rfind("https://t.example/", 0) == 0; }

 private:
  int n_ = 0;
};

void rewriteWithoutTokens(benchmark::State& state, bool quoted_printable) {
  const std::string input = message(newsletterHtml(100 * 1024), quoted_printable);
  for (auto _ : state) {
    PlainUrls urls;
    auto out = mime::rewriteWholeMessage(input, [&](const mime::TextPart&, std::string_view decoded) {
      return html::LinkRewriter(urls, {}).rewriteHtml(decoded);
    });
    benchmark::DoNotOptimize(out);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * input.size()));
}

void walkOnly(benchmark::State& state, bool quoted_printable) {
  const std::string input = message(newsletterHtml(100 * 1024), quoted_printable);
  for (auto _ : state) {
    // Appending a byte forces decode + re-encode, as a real rewrite does.
    auto out = mime::rewriteWholeMessage(input, [](const mime::TextPart&, std::string_view decoded) -> Result<std::string> {
      return std::string(decoded) + " ";
    });
    benchmark::DoNotOptimize(out);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * input.size()));
}

void memchrFloor(benchmark::State& state) {
  const std::string input = message(newsletterHtml(100 * 1024), false);
  for (auto _ : state) {
    std::size_t count = 0;
    for (const char* p = input.data(); (p = static_cast<const char*>(std::memchr(p, '<', input.data() + input.size() - p)));
         ++p)
      ++count;
    benchmark::DoNotOptimize(count);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * input.size()));
}

BENCHMARK_CAPTURE(rewriteWithTokens, html_8bit_100k, false);
BENCHMARK_CAPTURE(rewriteWithoutTokens, html_8bit_100k, false);
BENCHMARK_CAPTURE(walkOnly, html_8bit_100k, false);
BENCHMARK_CAPTURE(rewriteWithTokens, html_qp_100k, true);
BENCHMARK_CAPTURE(rewriteWithoutTokens, html_qp_100k, true);
BENCHMARK_CAPTURE(walkOnly, html_qp_100k, true);
BENCHMARK(memchrFloor);

}  // namespace

// The milter's allocator settings (runtime/allocator.h); WAYBILL_BENCH_DEFAULT_MALLOC=1 measures
// glibc's defaults instead, to see what the tuning is worth.
int main(int argc, char** argv) {
  if (!std::getenv("WAYBILL_BENCH_DEFAULT_MALLOC")) waybill::tuneAllocatorForMessages();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
