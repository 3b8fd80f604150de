#include "errors.h"

#include <pactown/errors.h>

#include <spdlog/spdlog.h>

namespace pactown {

sdbus::Error makeDbusError(const std::string& name, const std::string& message)
{
    return sdbus::Error(kErrorPrefix + name, message);
}

sdbus::Error toDbusError(std::exception_ptr error, const std::string& method)
{
    try {
        std::rethrow_exception(error);
    } catch (const SystemError& e) {
        // A host failure is handled here, by the error reply, so it is logged here.
        spdlog::error("{} failed: {}", method, e.what());
        return makeDbusError(e.name(), e.what());
    } catch (const Error& e) {
        spdlog::debug("{} failed: {} ({})", method, e.what(), e.name());
        return makeDbusError(e.name(), e.what());
    } catch (const sdbus::Error& e) {
        spdlog::debug("{} failed: {} ({})", method, e.getMessage(), e.getName());
        return e;
    } catch (const std::exception& e) {
        spdlog::error("{} failed unexpectedly: {}", method, e.what());
        return makeDbusError("Failed", e.what());
    } catch (...) {
        spdlog::error("{} failed with an exception that is not a std::exception", method);
        return makeDbusError("Failed", "internal error in pactownd");
    }
}

} // namespace pactown
