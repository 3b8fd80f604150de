#include <pactown/errors.h>

#include <cstring>

namespace pactown {

void throwSystemError(const std::string& what, int error)
{
    throw SystemError(what + ": " + std::strerror(error));
}

} // namespace pactown
