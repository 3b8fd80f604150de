#pragma once

#include <filesystem>
#include <string>

#include <spdlog/common.h>

#include "daemon.h"

namespace pactown {

struct DaemonOptions {
    std::filesystem::path configPath = "/etc/pactown/isolation.conf";
    spdlog::level::level_enum logLevel = spdlog::level::info;
    BusKind bus = BusKind::System;
    bool showHelp = false;
};

// Parses pactownd's command line. The log level defaults to $PACTOWN_LOG_LEVEL, then "info";
// the bus to the system bus for root and the session bus for anyone else.
// Throws std::invalid_argument for an unknown option, a missing value or an invalid level.
DaemonOptions parseDaemonOptions(int argc, char** argv);

std::string daemonUsage();

} // namespace pactown
