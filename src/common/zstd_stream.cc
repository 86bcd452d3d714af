#include "common/zstd_stream.h"

#include <zstd.h>

#include <memory>

namespace tandem {

ZstdCompressor::ZstdCompressor(ByteSink sink, int level)
    : ctx_(ZSTD_createCCtx()), sink_(std::move(sink)), out_(ZSTD_CStreamOutSize(), '\0') {
  ZSTD_CCtx_setParameter(static_cast<ZSTD_CCtx*>(ctx_), ZSTD_c_compressionLevel, level);
  ZSTD_CCtx_setParameter(static_cast<ZSTD_CCtx*>(ctx_), ZSTD_c_checksumFlag, 1);
}

ZstdCompressor::~ZstdCompressor() { ZSTD_freeCCtx(static_cast<ZSTD_CCtx*>(ctx_)); }

Status ZstdCompressor::Pump(std::string_view data, bool end) {
  ZSTD_inBuffer in{data.data(), data.size(), 0};
  while (true) {
    ZSTD_outBuffer out{out_.data(), out_.size(), 0};
    size_t left = ZSTD_compressStream2(static_cast<ZSTD_CCtx*>(ctx_), &out, &in,
                                       end ? ZSTD_e_end : ZSTD_e_continue);
    if (ZSTD_isError(left)) return Status::IOError(std::string("zstd: ") + ZSTD_getErrorName(left));
    if (out.pos > 0 && !sink_(std::string_view(out_.data(), out.pos))) {
      return Status::Unavailable("the receiver stopped reading");
    }
    bool drained = end ? left == 0 : in.pos == in.size;
    if (drained) return Status::Ok();
  }
}

Status ZstdCompressor::Write(std::string_view data) { return Pump(data, false); }
Status ZstdCompressor::Finish() { return Pump({}, true); }

ZstdDecompressor::ZstdDecompressor(ByteSink sink, uint64_t max_output)
    : ctx_(ZSTD_createDCtx()),
      sink_(std::move(sink)),
      max_output_(max_output),
      out_(ZSTD_DStreamOutSize(), '\0') {
  // Refuse frames that would need a huge window (memory exhaustion).
  ZSTD_DCtx_setParameter(static_cast<ZSTD_DCtx*>(ctx_), ZSTD_d_windowLogMax, 27);
}

ZstdDecompressor::~ZstdDecompressor() { ZSTD_freeDCtx(static_cast<ZSTD_DCtx*>(ctx_)); }

Status ZstdDecompressor::Write(std::string_view compressed) {
  ZSTD_inBuffer in{compressed.data(), compressed.size(), 0};
  while (in.pos < in.size) {
    ZSTD_outBuffer out{out_.data(), out_.size(), 0};
    size_t r = ZSTD_decompressStream(static_cast<ZSTD_DCtx*>(ctx_), &out, &in);
    if (ZSTD_isError(r)) {
      return Status::Corruption(std::string("pack stream is not valid zstd: ") + ZSTD_getErrorName(r));
    }
    frame_done_ = r == 0;
    produced_ += out.pos;
    if (produced_ > max_output_) {
      return Status::TooLarge("pack stream expands beyond " + std::to_string(max_output_) + " bytes");
    }
    if (out.pos > 0 && !sink_(std::string_view(out_.data(), out.pos))) {
      return Status::Unavailable("pack reader stopped");
    }
  }
  return Status::Ok();
}

namespace {

struct CCtxFree {
  void operator()(ZSTD_CCtx* c) const { ZSTD_freeCCtx(c); }
};
struct DCtxFree {
  void operator()(ZSTD_DCtx* c) const { ZSTD_freeDCtx(c); }
};

}  // namespace

Status ZstdCompress(std::string_view raw, int level, std::string& out) {
  thread_local std::unique_ptr<ZSTD_CCtx, CCtxFree> ctx(ZSTD_createCCtx());
  if (!ctx) return Status::IOError("zstd: cannot create a compression context");
  out.resize(ZSTD_compressBound(raw.size()));
  size_t n = ZSTD_compressCCtx(ctx.get(), out.data(), out.size(), raw.data(), raw.size(), level);
  if (ZSTD_isError(n)) return Status::IOError(std::string("zstd: ") + ZSTD_getErrorName(n));
  out.resize(n);
  return Status::Ok();
}

Status ZstdDecompressExact(std::string_view compressed, size_t raw_size, std::string& out) {
  thread_local std::unique_ptr<ZSTD_DCtx, DCtxFree> ctx(ZSTD_createDCtx());
  if (!ctx) return Status::IOError("zstd: cannot create a decompression context");
  out.resize(raw_size);
  size_t n = ZSTD_decompressDCtx(ctx.get(), out.data(), out.size(), compressed.data(),
                                 compressed.size());
  if (ZSTD_isError(n) || n != raw_size) return Status::Corruption("does not decompress");
  return Status::Ok();
}

}  // namespace tandem
