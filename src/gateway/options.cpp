#include "options.h"

#include <charconv>
#include <getopt.h>
#include <iostream>
#include <stdexcept>

namespace pactown::gateway {

namespace {

enum OptionId { kListen = 1000, kTokenFile, kUserBus, kWorkers, kCallTimeout, kLogLevel, kHelp, kVersion };

unsigned parseCount(const std::string& option, const char* text, unsigned minimum, unsigned maximum)
{
    const std::string_view value(text);
    unsigned number = 0;
    const auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), number);
    if (value.empty() || error != std::errc{} || end != value.data() + value.size() || number < minimum ||
        number > maximum)
        throw std::invalid_argument(option + " '" + std::string(value) + "' is invalid; expected " +
                                    std::to_string(minimum) + " to " + std::to_string(maximum));
    return number;
}

spdlog::level::level_enum parseLevel(const char* text)
{
    const spdlog::level::level_enum level = spdlog::level::from_str(text);
    // from_str returns off for unknown names, so "off" itself has to be recognised apart.
    if (level == spdlog::level::off && std::string_view(text) != "off")
        throw std::invalid_argument(std::string("--log-level '") + text +
                                    "' is invalid; expected trace, debug, info, warning, error, critical or off");
    return level;
}

} // namespace

std::string usageText(const char* program)
{
    return std::string("Usage: ") + program + " --token-file PATH [OPTIONS]\n" +
           "Serve the pactown isolation REST routes over HTTP as a D-Bus client of pactownd.\n\n"
           "  --token-file PATH      file with the bearer token; mode 0600 or stricter (required)\n"
           "  --listen ADDR:PORT     address to listen on, IPv6 as [ADDR]:PORT (default " +
           kDefaultListenAddress +
           ")\n"
           "  --user-bus             call pactownd on the session bus instead of the system bus\n"
           "  --workers N            connections served at once, 1 to 256 (default 8)\n"
           "  --call-timeout SEC     limit of each D-Bus call in seconds, 1 to 3600 (default 120)\n"
           "  --log-level LEVEL      trace, debug, info, warning, error, critical or off (default info)\n"
           "  --help                 print this text\n"
           "  --version              print the version\n";
}

std::optional<GatewayOptions> parseOptions(int argc, char** argv)
{
    static const option longOptions[] = {
        {"listen", required_argument, nullptr, kListen},
        {"token-file", required_argument, nullptr, kTokenFile},
        {"user-bus", no_argument, nullptr, kUserBus},
        {"workers", required_argument, nullptr, kWorkers},
        {"call-timeout", required_argument, nullptr, kCallTimeout},
        {"log-level", required_argument, nullptr, kLogLevel},
        {"help", no_argument, nullptr, kHelp},
        {"version", no_argument, nullptr, kVersion},
        {nullptr, 0, nullptr, 0},
    };

    GatewayOptions options;
    opterr = 0;
    optind = 1;
    for (int id; (id = getopt_long(argc, argv, "", longOptions, nullptr)) != -1;) {
        switch (id) {
        case kListen: options.listen = optarg; break;
        case kTokenFile: options.tokenFile = optarg; break;
        case kUserBus: options.userBus = true; break;
        case kWorkers: options.workers = parseCount("--workers", optarg, 1, 256); break;
        case kCallTimeout: options.callTimeout = std::chrono::seconds(parseCount("--call-timeout", optarg, 1, 3600)); break;
        case kLogLevel: options.logLevel = parseLevel(optarg); break;
        case kHelp: std::cout << usageText(argv[0]); return std::nullopt;
        case kVersion: std::cout << "pactown-gateway " << PACTOWN_VERSION << "\n"; return std::nullopt;
        default:
            throw std::invalid_argument(std::string("option '") + argv[optind - 1] + "' is unknown or lacks its value; see --help");
        }
    }
    if (optind < argc)
        throw std::invalid_argument(std::string("unexpected argument '") + argv[optind] + "'; see --help");
    if (options.tokenFile.empty())
        throw std::invalid_argument("--token-file is required: clients must present a bearer token");
    return options;
}

} // namespace pactown::gateway
