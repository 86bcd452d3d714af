// Streaming zstd compression and decompression for sync packs: data goes in
// piece by piece and comes out through a callback, so memory stays bounded
// however long the stream. Not thread-safe; one object per stream.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "common/status.h"

namespace tandem {

// Receives output bytes; returns false to abort (e.g. the peer went away).
using ByteSink = std::function<bool(std::string_view)>;

class ZstdCompressor {
 public:
  explicit ZstdCompressor(ByteSink sink, int level = 3);
  ~ZstdCompressor();
  ZstdCompressor(const ZstdCompressor&) = delete;
  ZstdCompressor& operator=(const ZstdCompressor&) = delete;
  Status Write(std::string_view data);
  // Ends the frame; nothing may be written afterwards.
  Status Finish();

 private:
  Status Pump(std::string_view data, bool end);
  void* ctx_;
  ByteSink sink_;
  std::string out_;
};

class ZstdDecompressor {
 public:
  // `max_output` bounds the total decompressed size (hostile streams).
  ZstdDecompressor(ByteSink sink, uint64_t max_output);
  ~ZstdDecompressor();
  ZstdDecompressor(const ZstdDecompressor&) = delete;
  ZstdDecompressor& operator=(const ZstdDecompressor&) = delete;
  // Corruption for bytes that are not zstd; TooLarge past `max_output`.
  Status Write(std::string_view compressed);
  // True when the input ended exactly at the end of a frame.
  bool complete() const { return frame_done_; }

 private:
  void* ctx_;
  ByteSink sink_;
  uint64_t max_output_;
  uint64_t produced_ = 0;
  bool frame_done_ = false;
  std::string out_;
};

}  // namespace tandem
