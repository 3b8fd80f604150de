// Feeds arbitrary text to parseSize: it must return or throw InvalidArgumentError, and never
// return 0, which the parser rejects as a memory limit.

#include <cstdint>
#include <cstdlib>
#include <string_view>

#include <pactown/errors.h>

#include "config/value_parsers.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    std::string_view text(reinterpret_cast<const char*>(data), size);
    try {
        std::optional<uint64_t> bytes = pactown::parseSize(text);
        if (bytes && *bytes == 0)
            std::abort();
    } catch (const pactown::InvalidArgumentError&) {
    }
    return 0;
}
