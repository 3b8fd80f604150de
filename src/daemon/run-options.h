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
// types and that exactly one of "command" and "argv" is present; the library checks values.
// Throws InvalidArgumentError naming the key for an unknown key, a wrong type or a missing
// or doubled command.
DecodedRunOptions decodeRunOptions(const std::map<std::string, sdbus::Variant>& options);

} // namespace pactown
