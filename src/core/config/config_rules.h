#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <pactown/config.h>

namespace pactown {

// A broken rule: the keys whose values break it, most likely culprit first, and the reason.
struct ConfigViolation {
    std::vector<std::string_view> keys;
    std::string reason;
};

// Returns the first rule of validateConfig() that the config breaks, or nullopt.
std::optional<ConfigViolation> findConfigViolation(const Config& config);

// Returns the value of a configuration file key of the config, in the file's syntax.
std::string formatConfigValue(const Config& config, std::string_view key);

} // namespace pactown
