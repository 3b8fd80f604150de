#pragma once

#include "http_server.h"

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>

#include <spdlog/common.h>

namespace pactown::gateway {

inline constexpr const char* kDefaultListenAddress = "127.0.0.1:8787";

struct GatewayOptions {
    std::string listen = kDefaultListenAddress;
    std::filesystem::path tokenFile;
    bool userBus = false;
    unsigned workers = 8;
    std::chrono::seconds callTimeout{120};
    spdlog::level::level_enum logLevel = spdlog::level::info;
};

// The usage text printed by --help.
std::string usageText(const char* program);

// Parses the command line. Returns nullopt after printing the help or version text, which
// means exit with status 0. Throws std::invalid_argument with a message for bad options.
std::optional<GatewayOptions> parseOptions(int argc, char** argv);

} // namespace pactown::gateway
