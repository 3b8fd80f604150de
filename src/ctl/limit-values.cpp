#include "limit-values.h"

#include <pactown/errors.h>

#include "cli-options.h"
#include "config/value_parsers.h"

namespace pactown {

namespace {

// Runs a parser of the configuration file syntax and turns its rejection into a usage error
// that names the command-line option.
template <typename Parse>
auto parseOption(const char* option, const std::string& value, Parse parse)
{
    try {
        return parse(value);
    } catch (const Error& e) {
        throw UsageError(std::string(option) + ": " + e.what());
    }
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
