#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace pactown {

// Bad command-line usage; pactownctl prints it with the usage hint and exits with status 2.
class UsageError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// The options of `pactownctl run`, with values already parsed.
struct RunCommandOptions {
    std::optional<std::string> serviceId; // sent even when empty, for pactownd to reject
    std::string cwd;
    std::map<std::string, std::string> environment;
    std::optional<uint32_t> cpuQuotaPercent;
    std::optional<uint64_t> memoryMaxBytes;
    std::optional<uint64_t> tasksMax;
    bool privateNetwork = false;
    bool wait = false;
    // Passes pactownctl's own standard streams to the run; implies wait.
    bool pipe = false;
    // One element runs as a shell string, several as an argv.
    std::vector<std::string> command;
};

struct CommandLine {
    std::string command;                // "users", "user", "run", ...; empty with --help alone
    std::vector<std::string> arguments; // positional arguments after the command
    bool json = false;
    bool sessionBus = false;
    bool help = false;
    bool deleteHome = false;
    bool repair = false;
    bool freezeRuns = false;
    RunCommandOptions run;
};

// Parses pactownctl's arguments (argv without the program name) and checks the number of
// positional arguments of the command. Throws UsageError naming the offending argument.
CommandLine parseCommandLine(const std::vector<std::string>& arguments);

std::string usageText();

} // namespace pactown
