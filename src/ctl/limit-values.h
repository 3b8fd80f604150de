#pragma once

#include <cstdint>
#include <string>

namespace pactown {

// Parse the limit options of `pactownctl run` in the syntax of pactownd's configuration file.
// Each throws UsageError naming the option and the value.
uint32_t parseCpuQuotaOption(const std::string& value);  // whole percent of one CPU: "20%"
uint64_t parseMemoryMaxOption(const std::string& value); // bytes, or K, M, G, T, P, E suffixes (base 1024)
uint64_t parseTasksMaxOption(const std::string& value);

} // namespace pactown
