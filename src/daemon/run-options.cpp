#include "run-options.h"

#include <pactown/errors.h>

#include <functional>
#include <vector>

namespace pactown {

namespace {

using Decoder = std::function<void(const sdbus::Variant&, DecodedRunOptions&)>;

struct OptionSpec {
    const char* signature;
    Decoder decode;
};

template <typename T>
T valueOf(const sdbus::Variant& value)
{
    return value.get<T>();
}

// Stores a duplicate of the descriptor in `slot` and lends its number to the request.
void takeDescriptor(const sdbus::Variant& value, std::optional<sdbus::UnixFd>& slot, int& requestFd)
{
    slot = value.get<sdbus::UnixFd>();
    requestFd = slot->get();
}

const std::map<std::string, OptionSpec>& optionSpecs()
{
    static const std::map<std::string, OptionSpec> specs{
        {"command", {"s", [](auto& v, auto& o) { o.request.command = valueOf<std::string>(v); }}},
        {"argv", {"as", [](auto& v, auto& o) { o.request.command = valueOf<std::vector<std::string>>(v); }}},
        {"service", {"s", [](auto& v, auto& o) { o.request.serviceId = valueOf<std::string>(v); }}},
        {"cwd", {"s", [](auto& v, auto& o) { o.request.cwd = valueOf<std::string>(v); }}},
        {"environment", {"a{ss}", [](auto& v, auto& o) {
             o.request.environment = valueOf<std::map<std::string, std::string>>(v);
         }}},
        {"cpu_quota_percent", {"u", [](auto& v, auto& o) { o.request.limits.cpuQuotaPercent = valueOf<uint32_t>(v); }}},
        {"memory_max", {"t", [](auto& v, auto& o) { o.request.limits.memoryMaxBytes = valueOf<uint64_t>(v); }}},
        {"tasks_max", {"t", [](auto& v, auto& o) { o.request.limits.tasksMax = valueOf<uint64_t>(v); }}},
        {"private_network", {"b", [](auto& v, auto& o) { o.request.limits.privateNetwork = valueOf<bool>(v); }}},
        {"stdin", {"h", [](auto& v, auto& o) { takeDescriptor(v, o.stdinFd, o.request.stdinFd); }}},
        {"stdout", {"h", [](auto& v, auto& o) { takeDescriptor(v, o.stdoutFd, o.request.stdoutFd); }}},
        {"stderr", {"h", [](auto& v, auto& o) { takeDescriptor(v, o.stderrFd, o.request.stderrFd); }}},
    };
    return specs;
}

std::string knownOptionNames()
{
    std::string names;
    for (const auto& [name, spec] : optionSpecs())
        names += (names.empty() ? "" : ", ") + name;
    return names;
}

} // namespace

DecodedRunOptions decodeRunOptions(const std::map<std::string, sdbus::Variant>& options)
{
    const bool hasCommand = options.contains("command");
    const bool hasArgv = options.contains("argv");
    if (hasCommand == hasArgv)
        throw InvalidArgumentError(hasCommand ? "run options 'command' and 'argv' exclude each other; pass one of them"
                                              : "run options need a 'command' (s) or an 'argv' (as)");

    DecodedRunOptions decoded;
    for (const auto& [name, value] : options) {
        auto spec = optionSpecs().find(name);
        if (spec == optionSpecs().end())
            throw InvalidArgumentError("run option '" + name + "' is unknown; known options are " + knownOptionNames());
        const std::string type = value.peekValueType();
        if (type != spec->second.signature)
            throw InvalidArgumentError("run option '" + name + "' has type '" + type + "', expected '" +
                                       spec->second.signature + "'");
        spec->second.decode(value, decoded);
    }
    // RunRequest takes an empty service id for the home directory, so an explicit empty one
    // would silently mean something else.
    if (options.contains("service") && decoded.request.serviceId.empty())
        throw InvalidArgumentError("run option 'service' is empty; leave it out to start in the home directory");
    return decoded;
}

} // namespace pactown
