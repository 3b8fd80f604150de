#include "output.h"

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <iostream>

namespace pactown {

namespace {

std::string formatTime(double secondsSinceEpoch)
{
    const auto seconds = static_cast<std::time_t>(secondsSinceEpoch);
    std::tm local{};
    localtime_r(&seconds, &local);
    char text[64];
    std::strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S %Z", &local);
    return text;
}

template <typename T>
void readStat(const std::map<std::string, sdbus::Variant>& stats, const char* key, T& target)
{
    auto value = stats.find(key);
    if (value != stats.end())
        target = value->second.get<T>();
}

} // namespace

void printTable(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows)
{
    std::vector<std::size_t> widths(header.size());
    for (std::size_t column = 0; column < header.size(); ++column) {
        widths[column] = header[column].size();
        for (const auto& row : rows)
            widths[column] = std::max(widths[column], row[column].size());
    }

    auto printRow = [&](const std::vector<std::string>& cells) {
        std::string line;
        for (std::size_t column = 0; column < cells.size(); ++column) {
            line += cells[column];
            if (column + 1 < cells.size())
                line += std::string(widths[column] - cells[column].size() + 2, ' ');
        }
        std::cout << line << "\n";
    };
    printRow(header);
    for (const auto& row : rows)
        printRow(row);
}

void printJson(const nlohmann::json& value)
{
    std::cout << value.dump(2) << "\n";
}

void printUser(const IsolatedUser& user)
{
    std::cout << "SaaS user ID: " << user.saasUserId << "\n"
              << "Linux user:   " << user.linuxUsername << "\n"
              << "UID/GID:      " << user.linuxUid << "/" << user.linuxGid << "\n"
              << "Home:         " << user.homeDir.string() << "\n"
              << "Created:      " << formatTime(user.createdAt) << "\n"
              << "Mode:         " << toString(user.mode) << "\n";
}

UserStats decodeStats(const std::map<std::string, sdbus::Variant>& stats)
{
    UserStats decoded;
    readStat(stats, "saas_user_id", decoded.user.saasUserId);
    readStat(stats, "linux_username", decoded.user.linuxUsername);
    readStat(stats, "sandbox_count", decoded.sandboxCount);
    readStat(stats, "allocated_bytes", decoded.disk.allocatedBytes);
    readStat(stats, "apparent_bytes", decoded.disk.apparentBytes);
    readStat(stats, "files", decoded.disk.files);
    readStat(stats, "directories", decoded.disk.directories);
    readStat(stats, "unreadable", decoded.disk.unreadable);
    readStat(stats, "active_runs", decoded.runs.activeRuns);
    readStat(stats, "memory_bytes", decoded.runs.memoryBytes);
    readStat(stats, "cpu_time_ns", decoded.runs.cpuTimeNanoseconds);
    readStat(stats, "tasks", decoded.runs.tasks);
    return decoded;
}

void printStats(const UserStats& stats)
{
    std::cout << "SaaS user ID:  " << stats.user.saasUserId << "\n"
              << "Linux user:    " << stats.user.linuxUsername << "\n"
              << "Sandboxes:     " << stats.sandboxCount << "\n"
              << "Disk usage:    " << formatBytes(stats.disk.allocatedBytes) << " allocated, "
              << formatBytes(stats.disk.apparentBytes) << " apparent, " << stats.disk.files << " files, "
              << stats.disk.directories << " directories\n"
              << "Active runs:   " << stats.runs.activeRuns << "\n"
              << "Memory:        " << formatBytes(stats.runs.memoryBytes) << "\n"
              << "CPU time:      " << stats.runs.cpuTimeNanoseconds / 1'000'000 << " ms\n"
              << "Tasks:         " << stats.runs.tasks << "\n";
    for (const auto& path : stats.disk.unreadable)
        std::cout << "Unreadable:    " << path << "\n";
}

std::string formatBytes(uint64_t bytes)
{
    static const char* const units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
    double value = static_cast<double>(bytes);
    std::size_t unit = 0;
    while (value >= 1024 && unit + 1 < std::size(units)) {
        value /= 1024;
        ++unit;
    }
    char text[32];
    std::snprintf(text, sizeof text, unit == 0 ? "%.0f %s" : "%.1f %s", value, units[unit]);
    return text;
}

} // namespace pactown
