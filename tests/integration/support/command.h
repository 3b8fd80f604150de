#pragma once

#include <string>
#include <vector>

namespace pactown::testing {

struct CommandResult {
    int status = -1; // exit status, or 128 + signal
    std::string out;
    std::string err;
};

// Runs argv (argv[0] looked up in PATH) with `input` on its standard input and collects its
// output and exit status.
CommandResult runCommand(const std::vector<std::string>& argv, const std::string& input = {});

// Runs a command line with /bin/sh -c.
CommandResult runShell(const std::string& commandLine);

// pactownctl with the given arguments.
CommandResult pactownctl(const std::vector<std::string>& arguments);

// busctl call of the manager: busctl call com.pactown.Isolation1 /com/pactown/Isolation1
// com.pactown.Isolation1.Manager METHOD SIGNATURE ARGUMENTS...
CommandResult callManager(const std::string& method, const std::string& signature,
                          const std::vector<std::string>& arguments);

// Reads a whole file; an empty string when it cannot be read.
std::string readFile(const std::string& path);

// Fails the current test, with a message on how to run it, unless it runs as root inside the
// sandbox booted by tests/integration/pactownd-sandbox.
void requireSandbox();

} // namespace pactown::testing
