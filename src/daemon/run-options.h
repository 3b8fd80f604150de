#pragma once

#include <map>
#include <optional>
#include <string>

#include <sdbus-c++/Types.h>

#include <pactown/run.h>

namespace pactown {

// A RunRequest decoded from the a{sv} options of RunAsUser, with the descriptors that its
// stdinFd, stdoutFd and stderrFd borrow. Keep it alive until the run has started.
struct DecodedRunOptions {
    RunRequest request;
    std::optional<sdbus::UnixFd> stdinFd;
    std::optional<sdbus::UnixFd> stdoutFd;
    std::optional<sdbus::UnixFd> stderrFd;
};

// Decodes the options of RunAsUser as the introspection XML documents them. Checks only keys,
// types, that exactly one of "command" and "argv" is present and that "service" is not empty;
// the library checks the values. Throws InvalidArgumentError naming the key.
DecodedRunOptions decodeRunOptions(const std::map<std::string, sdbus::Variant>& options);

} // namespace pactown
