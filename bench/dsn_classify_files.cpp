// dsn_classify_files: the bounce decoder in one process over many files (bench/dsn_classify_bench.py
// compares it with libsisimai-perl reading the same files in one Perl process).
//   dsn_classify_files FILE...   # prints "N files, M results"
#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>

#include "dsn/bounce_reader.h"
#include "dsn/mime_lite.h"

int main(int argc, char* argv[]) {
  std::size_t results = 0;
  for (int i = 1; i < argc; ++i) {
    std::ifstream in(argv[i], std::ios::binary);
    std::string raw{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    for (const std::string& message : waybill::dsn::splitMbox(waybill::dsn::normalizeLineEndings(raw))) {
      results += waybill::dsn::readBounce(message).results.size();
    }
  }
  std::printf("%d files, %zu results\n", argc - 1, results);
  return 0;
}
