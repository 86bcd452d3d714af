// Identifiers: UUID generation and validation. Thread-safe.
//
// Tandem's ids (resources, categories, commits, branches, tags, elements) are
// UUIDs in canonical lowercase 8-4-4-4-12 form. Random ids are version 4;
// ids derived from other ids (e.g. a change's DataVersion id) are version 8
// (RFC 9562) built from SHA-256, so every server derives the same id.
#pragma once

#include <string>
#include <string_view>

namespace tandem {

// A fresh random (version 4) UUID from libsodium's CSPRNG.
std::string NewUuid();

// A deterministic version-8 UUID derived from SHA-256 of `name`.
std::string DerivedUuid(std::string_view name);

// True for 8-4-4-4-12 hex UUIDs (any case, any version).
bool IsUuid(std::string_view s);

// Lowercases a valid UUID; returns other strings unchanged.
std::string NormalizeUuid(std::string_view s);

// `n` random bytes from libsodium, hex encoded (2n characters).
std::string RandomHex(size_t n);

}  // namespace tandem
