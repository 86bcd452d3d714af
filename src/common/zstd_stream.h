// zstd compression and decompression. Streaming, for sync packs: data goes in
// piece by piece and comes out through a callback, so memory stays bounded
// however long the stream (not thread-safe; one object per stream). One-shot,
// for stored records: ZstdCompress / ZstdDecompressExact reuse one context per
// thread, since creating a context costs more than compressing a small record.
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

// Compresses `raw` at `level` into `out` (replacing its contents).
Status ZstdCompress(std::string_view raw, int level, std::string& out);
// Decompresses one frame that must expand to exactly `raw_size` bytes into
// `out`; Corruption otherwise (the caller names the record in its message).
Status ZstdDecompressExact(std::string_view compressed, size_t raw_size, std::string& out);

}  // namespace tandem
