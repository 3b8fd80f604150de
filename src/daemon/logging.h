#pragma once

#include <string>
#include <string_view>

#include <spdlog/common.h>

namespace pactown {

// Identifiers that a log line is about. In the journal they become the fields
// PACTOWN_SAAS_USER_ID= and PACTOWN_UNIT=, so that the message text stays constant.
struct LogFields {
    std::string saasUserId;
    std::string unit;

    static LogFields ofUser(std::string saasUserId) { return {std::move(saasUserId), {}}; }
    static LogFields ofRun(std::string saasUserId, std::string unit)
    {
        return {std::move(saasUserId), std::move(unit)};
    }
};

// Parses a level name as spdlog spells it ("trace", "debug", "info", "warning", "error",
// "critical", "off"). Throws std::invalid_argument for any other name.
spdlog::level::level_enum parseLogLevel(const std::string& name);

// Makes the default spdlog logger, which the library logs to as well, write to the journal
// when systemd started the process (INVOCATION_ID is set) and to standard error otherwise.
void setupLogging(spdlog::level::level_enum level);

// Logs one state change with the identifiers it concerns.
void logEvent(spdlog::level::level_enum level, std::string_view message, const LogFields& fields);

} // namespace pactown
