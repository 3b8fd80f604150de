#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string_view>
#include <sys/types.h>

// Parsers of setting values in the syntax of systemd's unit and daemon configuration, shared
// by the configuration file, the command line and the D-Bus options. Surrounding whitespace is
// ignored. Each parser throws InvalidArgumentError with a message that gives only the reason,
// such as "unknown suffix 'Q'", so that the caller can prefix the value and the key or option.

namespace pactown {

// Returns text without leading and trailing spaces, tabs, carriage returns and newlines.
std::string_view trimWhitespace(std::string_view text);

// Parses a memory limit in the byte syntax of systemd's MemoryMax=: bytes, or a number
// (decimals allowed) with a suffix K, M, G, T, P or E in powers of 1024. Percentages of RAM are
// not supported. Returns nullopt, meaning no limit, for "infinity" or an empty string. Rejects
// 0, which no process can run under.
std::optional<uint64_t> parseSize(std::string_view text);

// Parses a CPU quota in whole percent of one CPU ("20%", "150%"). Returns nullopt, meaning no
// quota, for "infinity" or an empty string. Rejects 0%.
std::optional<unsigned> parseCpuQuota(std::string_view text);

// Parses a count such as TasksMax=: a decimal number, or "infinity" or an empty string for no
// limit (nullopt). Rejects 0.
std::optional<uint64_t> parseLimitNumber(std::string_view text);

// Parses a boolean as systemd does: 1, yes, y, true, t, on or 0, no, n, false, f, off, in
// any letter case.
bool parseBoolean(std::string_view text);

// Parses an absolute path and returns it in normal form, without "." or ".." components,
// repeated slashes or a trailing slash.
std::filesystem::path parseAbsolutePath(std::string_view text);

// Parses a decimal UID. Rejects 4294967295 and 65535, which are (uid_t) -1 in 32 and 16 bits.
uid_t parseUid(std::string_view text);

} // namespace pactown
