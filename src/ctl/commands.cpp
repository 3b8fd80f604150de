#include "commands.h"

#include <iostream>
#include <set>

#include "manager-client.h"
#include "output.h"
#include "session.h"

namespace pactown {

namespace {

bool needsLongCalls(const CommandLine& line)
{
    static const std::set<std::string> longCommands{"stop", "stats", "export", "import", "delete", "doctor"};
    return longCommands.contains(line.command) || (line.command == "run" && line.run.wait);
}

Session connect(const CommandLine& line)
{
    Session session;
    session.connection = openBus(line.sessionBus, needsLongCalls(line));
    session.manager = std::make_unique<ManagerClient>(*session.connection);
    // Signals (TransferProgress) are dispatched on this thread while a call blocks.
    session.connection->enterEventLoopAsync();
    return session;
}

IsolatedUser readUser(sdbus::IConnection& connection, const sdbus::ObjectPath& path)
{
    UserClient client(connection, path);
    IsolatedUser user;
    user.saasUserId = client.SaasUserId();
    user.linuxUsername = client.LinuxUsername();
    user.linuxUid = client.UID();
    user.linuxGid = client.GID();
    user.homeDir = client.HomeDirectory();
    user.createdAt = client.CreatedAt();
    user.mode = client.Mode() == "virtual" ? AccountMode::Virtual : AccountMode::System;
    return user;
}

int listUsers(Session& session, const CommandLine& line)
{
    std::vector<IsolatedUser> users;
    for (const auto& record : session.manager->ListUsers()) {
        IsolatedUser user;
        user.saasUserId = record.get<0>();
        user.linuxUsername = record.get<1>();
        user.linuxUid = record.get<2>();
        user.linuxGid = record.get<3>();
        user.homeDir = record.get<4>();
        user.createdAt = record.get<5>();
        user.mode = record.get<6>() == "virtual" ? AccountMode::Virtual : AccountMode::System;
        users.push_back(std::move(user));
    }

    if (line.json) {
        auto list = nlohmann::json::array();
        for (const auto& user : users)
            list.push_back(user.toJson());
        printJson({{"users", list}, {"count", users.size()}});
        return 0;
    }
    std::vector<std::vector<std::string>> rows;
    for (const auto& user : users) {
        rows.push_back({user.saasUserId, user.linuxUsername, std::to_string(user.linuxUid), user.homeDir.string(),
                        toString(user.mode)});
    }
    printTable({"SAAS USER ID", "LINUX USER", "UID", "HOME", "MODE"}, rows);
    return 0;
}

int showUser(Session& session, const CommandLine& line)
{
    const std::string& saasUserId = line.arguments[1];
    const auto path = line.arguments[0] == "create" ? session.manager->GetOrCreateUser(saasUserId)
                                                    : session.manager->GetUser(saasUserId);
    const IsolatedUser user = readUser(*session.connection, path);
    if (line.json)
        printJson(user.toJson());
    else
        printUser(user);
    return 0;
}

int showSandbox(Session& session, const CommandLine& line)
{
    const auto path = session.manager->GetSandboxPath(line.arguments[0], line.arguments[1]);
    if (line.json)
        printJson({{"saas_user_id", line.arguments[0]}, {"service_id", line.arguments[1]}, {"path", path}});
    else
        std::cout << path << "\n";
    return 0;
}

int listRuns(Session& session, const CommandLine& line)
{
    const auto runs = session.manager->ListRuns(line.arguments.empty() ? "" : line.arguments[0]);
    if (line.json) {
        auto list = nlohmann::json::array();
        for (const auto& run : runs) {
            list.push_back({{"unit_name", run.get<0>()}, {"invocation_id", run.get<1>()},
                            {"saas_user_id", run.get<2>()}, {"service_id", run.get<3>()},
                            {"active_state", run.get<4>()}, {"main_pid", run.get<5>()}});
        }
        printJson({{"runs", list}, {"count", runs.size()}});
        return 0;
    }
    std::vector<std::vector<std::string>> rows;
    for (const auto& run : runs)
        rows.push_back({run.get<0>(), run.get<2>(), run.get<3>(), run.get<4>(), std::to_string(run.get<5>())});
    printTable({"UNIT", "SAAS USER ID", "SERVICE", "STATE", "MAIN PID"}, rows);
    return 0;
}

int stopRun(Session& session, const CommandLine& line)
{
    session.manager->StopRun(line.arguments[0]);
    return 0;
}

int showStats(Session& session, const CommandLine& line)
{
    const UserStats stats = decodeStats(session.manager->GetUserStats(line.arguments[0]));
    if (line.json)
        printJson(stats.toJson());
    else
        printStats(stats);
    return 0;
}

int deleteUser(Session& session, const CommandLine& line)
{
    const std::string& saasUserId = line.arguments[0];
    session.manager->DeleteUser(saasUserId, line.deleteHome);
    if (line.json)
        printJson({{"success", true}, {"user_id", saasUserId}});
    else
        std::cout << "Deleted the tenant of '" << saasUserId << "'" << (line.deleteHome ? " and its home" : "")
                  << ".\n";
    return 0;
}

int runDoctor(Session& session, const CommandLine& line)
{
    const auto findings = session.manager->Doctor(line.repair);
    std::vector<std::vector<std::string>> rows;
    for (const auto& finding : findings)
        rows.push_back({finding.get<0>(), finding.get<1>(), finding.get<2>()});
    printTable({"CHECK", "SUBJECT", "OUTCOME"}, rows);
    return 0;
}

} // namespace

int runCommand(const CommandLine& line)
{
    using Handler = int (*)(Session&, const CommandLine&);
    static const std::map<std::string, Handler> handlers{
        {"users", listUsers}, {"user", showUser},   {"sandbox", showSandbox},  {"run", startRun},
        {"runs", listRuns},   {"stop", stopRun},    {"stats", showStats},      {"export", transferData},
        {"import", transferData}, {"delete", deleteUser}, {"doctor", runDoctor},
    };
    Session session = connect(line);
    const int status = handlers.at(line.command)(session, line);
    session.connection->leaveEventLoop();
    return status;
}

} // namespace pactown
