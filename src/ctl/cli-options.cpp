#include "cli-options.h"

#include <algorithm>
#include <set>

#include "limit-values.h"

namespace pactown {

namespace {

struct CommandSpec {
    std::size_t minArguments;
    std::size_t maxArguments;
    std::set<std::string> options; // command-specific options besides --json, --system, --user, --help
};

const std::map<std::string, CommandSpec>& commandSpecs()
{
    static const std::map<std::string, CommandSpec> specs{
        {"users", {0, 0, {}}},
        {"user", {2, 2, {}}},
        {"sandbox", {2, 2, {}}},
        {"run", {1, 1, {"--service", "--cwd", "--env", "--cpu-quota", "--memory-max", "--tasks-max",
                        "--private-network", "--wait", "--pipe"}}},
        {"runs", {0, 1, {}}},
        {"stop", {1, 1, {}}},
        {"stats", {1, 1, {}}},
        {"export", {2, 2, {"--freeze"}}},
        {"import", {2, 2, {}}},
        {"delete", {1, 1, {"--delete-home"}}},
        {"doctor", {0, 0, {"--repair"}}},
    };
    return specs;
}

const std::set<std::string> optionsWithValue{"--service", "--cwd", "--env", "--cpu-quota", "--memory-max",
                                             "--tasks-max"};

void addEnvironment(const std::string& assignment, std::map<std::string, std::string>& environment)
{
    const auto equals = assignment.find('=');
    if (equals == std::string::npos || equals == 0)
        throw UsageError("--env value '" + assignment + "' is not of the form NAME=VALUE");
    environment[assignment.substr(0, equals)] = assignment.substr(equals + 1);
}

void applyValueOption(const std::string& name, const std::string& value, RunCommandOptions& run)
{
    if (name == "--service")
        run.serviceId = value;
    else if (name == "--cwd")
        run.cwd = value;
    else if (name == "--env")
        addEnvironment(value, run.environment);
    else if (name == "--cpu-quota")
        run.cpuQuotaPercent = parseCpuQuotaOption(value);
    else if (name == "--memory-max")
        run.memoryMaxBytes = parseMemoryMaxOption(value);
    else if (name == "--tasks-max")
        run.tasksMax = parseTasksMaxOption(value);
}

void applyFlag(const std::string& name, CommandLine& line)
{
    if (name == "--json")
        line.json = true;
    else if (name == "--system")
        line.sessionBus = false;
    else if (name == "--user")
        line.sessionBus = true;
    else if (name == "--help" || name == "-h")
        line.help = true;
    else if (name == "--private-network")
        line.run.privateNetwork = true;
    else if (name == "--wait")
        line.run.wait = true;
    else if (name == "--pipe")
        line.run.pipe = line.run.wait = true;
    else if (name == "--delete-home")
        line.deleteHome = true;
    else if (name == "--repair")
        line.repair = true;
    else if (name == "--freeze")
        line.freezeRuns = true;
}

// Checks that `name` exists and is allowed with the command parsed so far.
void checkOption(const std::string& name, const CommandLine& line)
{
    static const std::set<std::string> global{"--json", "--system", "--user", "--help", "-h"};
    if (global.contains(name))
        return;
    auto spec = commandSpecs().find(line.command);
    if (spec != commandSpecs().end() && spec->second.options.contains(name))
        return;
    if (line.command.empty())
        throw UsageError("option '" + name + "' is unknown or needs a command before it");
    throw UsageError("option '" + name + "' is unknown for the command '" + line.command + "'");
}

void checkArguments(const CommandLine& line)
{
    auto spec = commandSpecs().find(line.command);
    if (spec == commandSpecs().end())
        throw UsageError("command '" + line.command + "' is unknown");
    const auto count = line.arguments.size();
    if (count < spec->second.minArguments || count > spec->second.maxArguments)
        throw UsageError("command '" + line.command + "' takes " + std::to_string(spec->second.minArguments) +
                         (spec->second.maxArguments != spec->second.minArguments ? " or " + std::to_string(spec->second.maxArguments) : "") +
                         " arguments, got " + std::to_string(count));
    if (line.command == "user" && line.arguments[0] != "create" && line.arguments[0] != "get")
        throw UsageError("'user' needs 'create' or 'get', not '" + line.arguments[0] + "'");
    if (line.command == "run" && line.run.command.empty())
        throw UsageError("'run' needs the command after '--'");
    if (line.command != "run" && !line.run.command.empty())
        throw UsageError("only 'run' takes arguments after '--'");
}

} // namespace

CommandLine parseCommandLine(const std::vector<std::string>& arguments)
{
    CommandLine line;
    for (std::size_t i = 0; i < arguments.size(); ++i) {
        const std::string& argument = arguments[i];
        if (argument == "--") {
            line.run.command.assign(arguments.begin() + static_cast<std::ptrdiff_t>(i) + 1, arguments.end());
            break;
        }
        if (argument.size() < 2 || argument[0] != '-') {
            if (line.command.empty())
                line.command = argument;
            else
                line.arguments.push_back(argument);
            continue;
        }

        std::string name = argument;
        std::optional<std::string> value;
        if (auto equals = argument.find('='); equals != std::string::npos) {
            name = argument.substr(0, equals);
            value = argument.substr(equals + 1);
        }
        checkOption(name, line);
        if (!optionsWithValue.contains(name)) {
            if (value)
                throw UsageError("option '" + name + "' takes no value");
            applyFlag(name, line);
            continue;
        }
        if (!value) {
            if (i + 1 >= arguments.size())
                throw UsageError("option '" + name + "' needs a value");
            value = arguments[++i];
        }
        applyValueOption(name, *value, line.run);
    }

    if (line.help)
        return line;
    if (line.command.empty())
        throw UsageError("a command is missing");
    checkArguments(line);
    return line;
}

std::string usageText()
{
    return R"(Usage: pactownctl [--system|--user] [--json] COMMAND [ARGUMENT]... [OPTION]...
Manage the tenants of pactownd, the tenant isolation manager, over D-Bus.

Commands:
  users                          list every tenant
  user create SAAS_USER_ID       create the tenant unless it exists, and show it
  user get SAAS_USER_ID          show an existing tenant
  sandbox SAAS_USER_ID SERVICE_ID
                                 print the sandbox directory of a service, creating it
  run SAAS_USER_ID [OPTION]... -- COMMAND...
                                 start COMMAND as the tenant in a transient service and print
                                 its unit name; one word after '--' runs as a /bin/sh -c
                                 string, several as the program and its arguments
  runs [SAAS_USER_ID]            list the active runs, of one tenant or of all
  stop UNIT                      stop a run and wait until it has stopped
  stats SAAS_USER_ID             show disk usage and live figures of the tenant's runs
  export SAAS_USER_ID FILE       write the tenant's home as tar.gz to FILE ('-' for stdout)
  import SAAS_USER_ID FILE       replace the tenant's home with the tar.gz in FILE
  delete SAAS_USER_ID            stop the tenant's runs and remove its account
  doctor                         check the registry against accounts, homes and units

Options of run:
  --service SERVICE_ID    start in the service's sandbox, <home>/sandboxes/SERVICE_ID
  --cwd DIR               working directory, absolute and inside the tenant's home
  --env NAME=VALUE        set a variable for the run; repeat for more
  --cpu-quota PERCENT%    CPU time in whole percent of one CPU, such as 20% or 150%
  --memory-max BYTES      memory limit in bytes, or with a K, M, G, T, P or E suffix (powers
                          of 1024), such as 64M
  --tasks-max N           limit of processes and threads
  --private-network       give the run a network namespace with loopback only
  --wait                  wait for the run to end, print its result and exit with its exit
                          status (128 + the signal number when a signal ended it)
  --pipe                  connect the run to pactownctl's standard input, output and error;
                          implies --wait, and the unit name and result go to standard error
Limits left out take the defaults of pactownd's configuration.

Other options:
  --freeze                with export: freeze the tenant's runs while exporting; without it
                          the export fails while the tenant has active runs
  --delete-home           with delete: remove the tenant's home too
  --repair                with doctor: repair what the checks find
  --json                  print JSON in the shapes of the reference REST API
  --system                talk to pactownd on the system bus (default)
  --user                  talk to a pactownd of the calling user on the session bus
  -h, --help              show this help

Exit status: 0 on success, 1 when pactownd reports an error, 2 for bad usage; with --wait, the
run's own exit status.
)";
}

} // namespace pactown
