// Feeds arbitrary bytes to validateSaasUserId and checks that what it accepts has the length
// and lacks the bytes that the specification excludes, and that its only error is
// InvalidArgumentError.

#include <cstdint>
#include <cstdlib>
#include <string_view>

#include <pactown/errors.h>

#include "identity/saas_id.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    std::string_view id(reinterpret_cast<const char*>(data), size);
    try {
        pactown::validateSaasUserId(id);
    } catch (const pactown::InvalidArgumentError&) {
        pactown::quoteForMessage(id);
        return 0;
    }
    if (id.empty() || id.size() > pactown::maxSaasUserIdBytes)
        std::abort();
    for (unsigned char byte : id)
        if (byte < 0x20 || byte == 0x7f || byte == 0xc0 || byte == 0xc1 || byte >= 0xf5)
            std::abort();
    return 0;
}
