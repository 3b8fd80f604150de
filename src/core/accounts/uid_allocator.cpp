#include "accounts/uid_allocator.h"

#include <pactown/errors.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdint>
#include <grp.h>
#include <optional>
#include <pwd.h>
#include <string>
#include <unistd.h>
#include <unordered_set>
#include <vector>

#include "accounts/account_file_io.h"
#include "accounts/account_files.h"
#include "identity/saas_id.h"

namespace pactown {

namespace {

struct ReservedIds {
    uint64_t first;
    uint64_t last;
    const char* owner;
};

constexpr ReservedIds reservedIdRanges[] = {
    {0, 999, "system users"},
    {60001, 60513, "systemd-homed"},
    {60514, 60577, "systemd-nspawn --bind-user"},
    {61184, 65519, "DynamicUser="},
    {65534, 65534, "nobody"},
    {65535, 65535, "(uid_t)-1 in 16 bits"},
    {4294967295, 4294967295, "(uid_t)-1"},
};

// An inclusive interval of IDs, 64 bits wide so that start + count cannot overflow.
struct IdInterval {
    uint64_t first;
    uint64_t last;
};

std::optional<uint64_t> parseNumber(std::string_view text)
{
    uint64_t value = 0;
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || error != std::errc() || end != text.data() + text.size())
        return std::nullopt;
    return value;
}

// Reads the "owner:start:count" lines of a subuid or subgid file. Lines of another shape
// are skipped, as shadow-utils skips them.
void addSubordinateRanges(const std::filesystem::path& path, std::vector<IdInterval>& intervals)
{
    LoadedAccountFile loaded = loadAccountFile(path, {});
    for (const auto& line : loaded.file.lines()) {
        if (!entryName(line))
            continue;
        auto owner = line.find(':');
        auto separator = line.find(':', owner + 1);
        if (owner == std::string::npos || separator == std::string::npos)
            continue;
        std::string_view text(line);
        auto start = parseNumber(text.substr(owner + 1, separator - owner - 1));
        auto count = parseNumber(text.substr(separator + 1));
        if (start && count && *count > 0)
            intervals.push_back({*start, *start + *count - 1});
    }
}

// IDs that the files under the root make unavailable.
struct TakenIds {
    std::unordered_set<uint32_t> ids;

    // Sorted and merged, so that the interval containing an ID is found by binary search.
    std::vector<IdInterval> subordinate;

    // Returns the first ID at or after `id` that is not inside a subordinate range.
    uint64_t skipSubordinate(uint64_t id) const
    {
        auto after = std::upper_bound(subordinate.begin(), subordinate.end(), id,
                                      [](uint64_t value, const IdInterval& interval) { return value < interval.first; });
        if (after != subordinate.begin() && std::prev(after)->last >= id)
            return std::prev(after)->last + 1;
        return id;
    }
};

std::vector<IdInterval> mergeIntervals(std::vector<IdInterval> intervals)
{
    std::sort(intervals.begin(), intervals.end(),
              [](const IdInterval& a, const IdInterval& b) { return a.first < b.first; });
    std::vector<IdInterval> merged;
    for (const auto& interval : intervals) {
        if (!merged.empty() && interval.first <= merged.back().last + 1)
            merged.back().last = std::max(merged.back().last, interval.last);
        else
            merged.push_back(interval);
    }
    return merged;
}

TakenIds readTakenIds(const std::filesystem::path& root)
{
    TakenIds taken;
    LoadedAccountFile passwd = loadAccountFile(root / "etc" / "passwd", {});
    for (const auto& line : passwd.file.lines()) {
        if (auto entry = parsePasswdLine(line))
            taken.ids.insert(entry->uid);
    }
    LoadedAccountFile group = loadAccountFile(root / "etc" / "group", {});
    for (const auto& line : group.file.lines()) {
        if (auto entry = parseGroupLine(line))
            taken.ids.insert(entry->gid);
    }

    std::vector<IdInterval> subordinate;
    addSubordinateRanges(root / "etc" / "subuid", subordinate);
    addSubordinateRanges(root / "etc" / "subgid", subordinate);
    taken.subordinate = mergeIntervals(std::move(subordinate));
    return taken;
}

std::string formatRange(const UidRange& range)
{
    return std::to_string(range.min) + "-" + std::to_string(range.max);
}

} // namespace

namespace {

// Calls a reentrant NSS lookup with a buffer that grows while it reports ERANGE, and
// returns whether it found an entry. ENOENT, ESRCH, EBADF and EPERM mean "not found" as
// getpwnam_r(3) documents.
template <typename Entry, typename Lookup>
bool nssHasEntry(const Lookup& lookup, const std::string& what)
{
    std::vector<char> buffer(4096);
    for (;;) {
        Entry entry{};
        Entry* result = nullptr;
        int error = lookup(&entry, buffer.data(), buffer.size(), &result);
        if (error == ERANGE && buffer.size() < (1u << 24)) {
            buffer.resize(buffer.size() * 2);
            continue;
        }
        if (error == 0 || error == ENOENT || error == ESRCH || error == EBADF || error == EPERM)
            return error == 0 && result != nullptr;
        throwSystemError("NSS lookup of " + what + " failed", error);
    }
}

} // namespace

void checkUidRange(const UidRange& range)
{
    if (range.min > range.max)
        throw ConfigError("UID range " + formatRange(range) + " is empty");
    for (const auto& reserved : reservedIdRanges) {
        if (range.min <= reserved.last && range.max >= reserved.first) {
            throw ConfigError("UID range " + formatRange(range) + " overlaps " + std::to_string(reserved.first) + "-" +
                              std::to_string(reserved.last) + ", which is reserved for " + reserved.owner);
        }
    }
}

bool isIdKnownToNss(uid_t id)
{
    std::string what = "ID " + std::to_string(id);
    bool isUser = nssHasEntry<passwd>(
        [id](passwd* entry, char* buffer, size_t size, passwd** result) {
            return getpwuid_r(id, entry, buffer, size, result);
        },
        what);
    return isUser || nssHasEntry<group>(
                         [id](group* entry, char* buffer, size_t size, group** result) {
                             return getgrgid_r(id, entry, buffer, size, result);
                         },
                         what);
}

uid_t allocateUid(const UidRange& range, const std::filesystem::path& root,
                  const std::function<bool(uid_t)>& reserved, const std::function<bool(uid_t)>& knownToNss)
{
    checkUidRange(range);
    TakenIds taken = readTakenIds(root);

    for (uint64_t id = range.min; id <= range.max; ++id) {
        id = taken.skipSubordinate(id);
        if (id > range.max)
            break;
        auto candidate = static_cast<uid_t>(id);
        if (taken.ids.contains(candidate) || reserved(candidate))
            continue;
        if (!knownToNss(candidate))
            return candidate;
    }
    throw UidRangeExhaustedError("no free UID in range " + formatRange(range) +
                                 ": every UID is used, reserved, in quarantine or inside a subordinate ID range");
}

struct UidAllocator::Subordinate {
    TakenIds ids;
};

UidAllocator::UidAllocator(const UidRange& range, const std::filesystem::path& root,
                           std::function<bool(uid_t)> isTaken, std::function<bool(uid_t)> knownToNss)
    : range_(range)
    , isTaken_(std::move(isTaken))
    , subordinate_(std::make_unique<Subordinate>())
    , knownToNss_(std::move(knownToNss))
    , next_(range.min)
{
    checkUidRange(range);
    std::vector<IdInterval> intervals;
    addSubordinateRanges(root / "etc" / "subuid", intervals);
    addSubordinateRanges(root / "etc" / "subgid", intervals);
    subordinate_->ids.subordinate = mergeIntervals(std::move(intervals));
}

UidAllocator::~UidAllocator() = default;

uid_t UidAllocator::allocate()
{
    for (uint64_t id = next_; id <= range_.max; ++id) {
        id = subordinate_->ids.skipSubordinate(id);
        if (id > range_.max)
            break;
        auto candidate = static_cast<uid_t>(id);
        if (isTaken_(candidate) || knownToNss_(candidate))
            continue;
        // The IDs below next_ are never proposed again, which covers those handed out.
        next_ = id + 1;
        return candidate;
    }
    next_ = uint64_t{range_.max} + 1;
    throw UidRangeExhaustedError("no free UID in range " + formatRange(range_) +
                                 ": every UID is used, reserved, in quarantine or inside a subordinate ID range");
}

bool isAccountNameInUse(std::string_view name, const std::filesystem::path& root)
{
    for (const char* file : {"passwd", "group"}) {
        LoadedAccountFile loaded = loadAccountFile(root / "etc" / file, {});
        for (const auto& line : loaded.file.lines()) {
            if (entryName(line) == name)
                return true;
        }
    }

    return isNameKnownToNss(name);
}

bool isNameKnownToNss(std::string_view name)
{
    std::string nameText(name);
    std::string what = "name " + quoteForMessage(name);
    bool isUser = nssHasEntry<passwd>(
        [&nameText](passwd* entry, char* buffer, size_t size, passwd** result) {
            return getpwnam_r(nameText.c_str(), entry, buffer, size, result);
        },
        what);
    return isUser || nssHasEntry<group>(
                         [&nameText](group* entry, char* buffer, size_t size, group** result) {
                             return getgrnam_r(nameText.c_str(), entry, buffer, size, result);
                         },
                         what);
}

} // namespace pactown
