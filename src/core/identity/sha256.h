#pragma once

#include <string>
#include <string_view>

namespace pactown {

// Computes the SHA-256 digest (FIPS 180-4) of `data` and returns it as 64 lowercase hex
// digits. Written here so that the core needs no crypto library for naming accounts.
std::string sha256Hex(std::string_view data);

} // namespace pactown
