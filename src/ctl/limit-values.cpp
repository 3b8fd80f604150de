#include "limit-values.h"

#include <pactown/errors.h>

#include <optional>

#include "cli-options.h"
#include "config/value_parsers.h"

namespace pactown {

namespace {

// Runs a parser of the configuration file syntax and turns its rejection into a usage error
// that names the option and the value.
template <typename Parse>
auto parseOption(const char* option, const std::string& value, Parse parse)
{
    decltype(parse(value)) parsed;
    try {
        parsed = parse(value);
    } catch (const InvalidArgumentError& e) {
        throw UsageError(std::string(option) + " value '" + value + "' is invalid: " + e.what());
    }
    // RunLimits has no way to lift a configured limit for one run.
    if (!parsed)
        throw UsageError(std::string(option) + " value '" + value +
                         "' would remove the limit, which a run cannot do; leave the option out for the configured default");
    return *parsed;
}

} // namespace

uint32_t parseCpuQuotaOption(const std::string& value)
{
    return parseOption("--cpu-quota", value, [](const std::string& text) { return parseCpuQuota(text); });
}

uint64_t parseMemoryMaxOption(const std::string& value)
{
    return parseOption("--memory-max", value, [](const std::string& text) { return parseSize(text); });
}

uint64_t parseTasksMaxOption(const std::string& value)
{
    return parseOption("--tasks-max", value, [](const std::string& text) { return parseLimitNumber(text); });
}

} // namespace pactown
