// LineReader: walks LF-separated text one line at a time without copying; the last line may
// lack its LF, and an LF at the very end does not make an empty last line. The bounce readers
// use it on LF-normalised messages.
//
//   LineReader lines(body);
//   for (std::string_view line; lines.next(line);)
//     if (line.empty()) break;                       // lines.lineStart(): where `line` begins
#pragma once

#include <cstddef>
#include <string_view>

namespace waybill {

class LineReader {
 public:
  explicit LineReader(std::string_view text) : text_(text) {}

  // The next line without its LF; false when the text is used up.
  bool next(std::string_view& line) {
    if (next_ >= text_.size()) return false;
    line_start_ = next_;
    std::size_t end = text_.find('\n', next_);
    if (end == std::string_view::npos) end = text_.size();
    line = text_.substr(next_, end - next_);
    next_ = end + 1;
    return true;
  }

  // Offset of the line next() returned last.
  std::size_t lineStart() const { return line_start_; }
  // Offset just past that line's LF (where the following line starts).
  std::size_t rest() const { return next_; }

 private:
  std::string_view text_;
  std::size_t next_ = 0;
  std::size_t line_start_ = 0;
};

}  // namespace waybill
