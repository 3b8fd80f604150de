#pragma once

#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <sdbus-c++/Types.h>

#include <pactown/isolated_user.h>
#include <pactown/stats.h>

namespace pactown {

// Prints rows under a header, each column as wide as its widest cell.
void printTable(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows);

// Prints `value` as JSON, indented, followed by a newline.
void printJson(const nlohmann::json& value);

// Prints a tenant as "Field: value" lines.
void printUser(const IsolatedUser& user);

// Decodes the a{sv} of GetUserStats; keys that this version does not know are ignored.
UserStats decodeStats(const std::map<std::string, sdbus::Variant>& stats);

void printStats(const UserStats& stats);

// Formats bytes with a binary unit, such as "12.3 MiB".
std::string formatBytes(uint64_t bytes);

} // namespace pactown
