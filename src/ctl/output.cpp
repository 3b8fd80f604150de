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

// Decodes the UTF-8 sequence at `text[at]` (validated by pactownd), returning its code point and
// advancing `at` past it.
char32_t decodeCodePoint(const std::string& text, std::size_t& at)
{
    const auto lead = static_cast<unsigned char>(text[at]);
    std::size_t length = 4;
    if (lead < 0x80)
        length = 1;
    else if (lead < 0xE0)
        length = 2;
    else if (lead < 0xF0)
        length = 3;
    char32_t codePoint = length == 1 ? lead : lead & (0x3F >> (length - 1));
    for (std::size_t i = 1; i < length && at + i < text.size(); ++i)
        codePoint = (codePoint << 6) | (static_cast<unsigned char>(text[at + i]) & 0x3F);
    at += length;
    return codePoint;
}

// Characters that change how the rest of a line looks without showing themselves: bidi
// controls, zero-width characters and the byte order mark.
bool isInvisible(char32_t codePoint)
{
    return (codePoint >= 0x200B && codePoint <= 0x200F) || (codePoint >= 0x202A && codePoint <= 0x202E) ||
           (codePoint >= 0x2060 && codePoint <= 0x2069) || codePoint == 0xFEFF;
}

// A cell as shown in a table: invisible characters written as \u{XXXX}, so that two saas ids
// that differ only in them look different, with its width in code points.
struct Cell {
    std::string text;
    std::size_t width = 0;
};

Cell showCell(const std::string& value)
{
    Cell cell;
    for (std::size_t at = 0; at < value.size();) {
        const std::size_t start = at;
        const char32_t codePoint = decodeCodePoint(value, at);
        if (isInvisible(codePoint)) {
            char escaped[16];
            std::snprintf(escaped, sizeof escaped, "\\u{%04X}", static_cast<unsigned>(codePoint));
            cell.text += escaped;
            cell.width += std::char_traits<char>::length(escaped);
        } else {
            cell.text.append(value, start, at - start);
            cell.width += 1;
        }
    }
    return cell;
}

} // namespace

void printTable(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows)
{
    std::vector<std::vector<Cell>> cellRows;
    auto addRow = [&cellRows](const std::vector<std::string>& values) {
        cellRows.emplace_back();
        for (const auto& value : values)
            cellRows.back().push_back(showCell(value));
    };
    addRow(header);
    for (const auto& row : rows)
        addRow(row);

    std::vector<std::size_t> widths(header.size());
    for (const auto& row : cellRows)
        for (std::size_t column = 0; column < row.size() && column < widths.size(); ++column)
            widths[column] = std::max(widths[column], row[column].width);

    for (const auto& row : cellRows) {
        std::string line;
        for (std::size_t column = 0; column < row.size(); ++column) {
            line += row[column].text;
            if (column + 1 < row.size())
                line += std::string(widths[column] - row[column].width + 2, ' ');
        }
        std::cout << line << "\n";
    }
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
