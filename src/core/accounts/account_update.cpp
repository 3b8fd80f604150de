#include "accounts/account_update.h"

#include <pactown/errors.h>

#include <cerrno>
#include <ctime>
#include <dirent.h>
#include <unistd.h>

#include "accounts/account_writer.h"
#include "identity/linux_name.h"
#include "identity/saas_id.h"

namespace pactown {

namespace {

using NameSet = std::set<std::string, std::less<>>;

constexpr std::string_view tempFileMarker = ".pactown";

long daysSinceEpoch()
{
    return static_cast<long>(std::time(nullptr) / (24 * 60 * 60));
}


} // namespace

void checkNewAccount(const NewAccount& account)
{
    if (!isValidLinuxName(account.name))
        throw InvalidArgumentError("account name " + quoteForMessage(account.name) +
                                   " does not match ^[a-z_][a-z0-9_-]{0,30}$");
    if (account.uid == static_cast<uid_t>(-1) || account.gid == static_cast<gid_t>(-1))
        throw InvalidArgumentError("account " + quoteForMessage(account.name) + " has the invalid id 4294967295");
    if (!account.home.is_absolute())
        throw InvalidArgumentError("home " + quoteForMessage(account.home.string()) + " of account " +
                                   quoteForMessage(account.name) + " is not an absolute path");
}

// New files get the modes of a Debian system: passwd and group 0644 root:root, shadow and
// gshadow 0640 root:shadow (root:root if the root has no group "shadow").
AccountUpdate::AccountUpdate(const std::filesystem::path& root, const AccountLock& lock)
    : root_(root)
    , lock_(lock)
{
    auto etc = root / "etc";
    passwd_ = loadAccountFile(etc / "passwd", {0644, 0, 0});
    group_ = loadAccountFile(etc / "group", {0644, 0, 0});

    gid_t shadowGroup = 0;
    for (const auto& line : group_.file.lines()) {
        auto entry = parseGroupLine(line);
        if (entry && entry->name == "shadow")
            shadowGroup = entry->gid;
    }
    shadow_ = loadAccountFile(etc / "shadow", {0640, 0, shadowGroup});
    gshadow_ = loadAccountFile(etc / "gshadow", {0640, 0, shadowGroup});
    indexEntries();
}

void AccountUpdate::indexEntries()
{
    for (const auto* loaded : {&passwd_, &group_, &shadow_, &gshadow_}) {
        for (const auto& line : loaded->file.lines()) {
            if (auto name = entryName(line))
                names_.emplace(*name);
        }
    }
    for (const auto& line : passwd_.file.lines()) {
        if (auto entry = parsePasswdLine(line)) {
            usedIds_.insert(entry->uid);
            uidOwners_.emplace(entry->uid, entry->name);
            users_.emplace(entry->name, std::move(*entry));
        }
    }
    for (const auto& line : group_.file.lines()) {
        if (auto entry = parseGroupLine(line)) {
            usedIds_.insert(entry->gid);
            gidOwners_.emplace(entry->gid, entry->name);
            groups_.emplace(entry->name, std::move(*entry));
        }
    }
    for (const auto& line : shadow_.file.lines()) {
        if (auto name = entryName(line))
            shadowNames_.emplace(*name);
    }
    for (const auto& line : gshadow_.file.lines()) {
        if (auto name = entryName(line))
            gshadowNames_.emplace(*name);
    }
}

bool AccountUpdate::hasName(std::string_view name) const
{
    return names_.contains(name);
}

std::optional<PasswdEntry> AccountUpdate::user(std::string_view name) const
{
    auto it = users_.find(std::string(name));
    return it == users_.end() ? std::nullopt : std::optional(it->second);
}

std::optional<GroupEntry> AccountUpdate::group(std::string_view name) const
{
    auto it = groups_.find(std::string(name));
    return it == groups_.end() ? std::nullopt : std::optional(it->second);
}

std::vector<PasswdEntry> AccountUpdate::users() const
{
    std::vector<PasswdEntry> entries;
    for (const auto& line : passwd_.file.lines()) {
        if (auto entry = parsePasswdLine(line))
            entries.push_back(std::move(*entry));
    }
    return entries;
}

AccountPresence AccountUpdate::presenceOf(const NewAccount& account, std::string* reason) const
{
    auto conflict = [&](std::string message) {
        if (reason)
            *reason = std::move(message);
        return AccountPresence::Conflict;
    };
    const std::string& name = account.name;
    auto user = users_.find(name);
    if (user != users_.end() && (user->second.uid != account.uid || user->second.gid != account.gid))
        return conflict("user " + quoteForMessage(name) + " exists with UID " + std::to_string(user->second.uid) +
                        " and GID " + std::to_string(user->second.gid));
    auto group = groups_.find(name);
    if (group != groups_.end() && group->second.gid != account.gid)
        return conflict("group " + quoteForMessage(name) + " exists with GID " + std::to_string(group->second.gid));
    if (auto owner = uidOwners_.find(account.uid); owner != uidOwners_.end() && owner->second != name)
        return conflict("UID " + std::to_string(account.uid) + " belongs to user " + quoteForMessage(owner->second));
    if (auto owner = gidOwners_.find(account.gid); owner != gidOwners_.end() && owner->second != name)
        return conflict("GID " + std::to_string(account.gid) + " belongs to group " + quoteForMessage(owner->second));

    int present = (user != users_.end()) + (group != groups_.end()) + shadowNames_.contains(name) +
                  gshadowNames_.contains(name);
    if (present == 0)
        return AccountPresence::Missing;
    return present == 4 ? AccountPresence::Complete : AccountPresence::Partial;
}

void AccountUpdate::add(const NewAccount& account)
{
    checkNewAccount(account);
    std::string reason;
    if (presenceOf(account, &reason) == AccountPresence::Conflict)
        throw AccountConflictError("cannot add account " + quoteForMessage(account.name) + ": " + reason);

    const std::string& name = account.name;
    const std::string today = std::to_string(daysSinceEpoch());
    if (!users_.contains(name)) {
        PasswdEntry entry{name, "x", account.uid, account.gid, account.gecos, account.home.string(), account.shell};
        passwd_.file.insertEntry(formatPasswdLine(entry));
        uidOwners_.emplace(account.uid, name);
        users_.emplace(name, std::move(entry));
    }
    if (!groups_.contains(name)) {
        GroupEntry entry{name, "x", account.gid, {}};
        group_.file.insertEntry(formatGroupLine(entry));
        gidOwners_.emplace(account.gid, name);
        groups_.emplace(name, std::move(entry));
    }
    if (shadowNames_.insert(name).second)
        shadow_.file.insertEntry(formatShadowLine({name, "!*", today, "", "", "", "", "", ""}));
    if (gshadowNames_.insert(name).second)
        gshadow_.file.insertEntry(formatGshadowLine({name, "!*", {}, {}}));
    names_.insert(name);
    usedIds_.insert(account.uid);
    usedIds_.insert(account.gid);
    added_ = true;
}

bool AccountUpdate::remove(std::string_view name)
{
    NameSet names{std::string(name)};
    size_t removed = passwd_.file.removeEntries(names) + group_.file.removeEntries(names) +
                     shadow_.file.removeEntries(names) + gshadow_.file.removeEntries(names);
    if (removed == 0)
        return false;

    std::string key(name);
    if (auto user = users_.find(key); user != users_.end()) {
        uidOwners_.erase(user->second.uid);
        usedIds_.erase(user->second.uid);
        users_.erase(user);
    }
    if (auto group = groups_.find(key); group != groups_.end()) {
        gidOwners_.erase(group->second.gid);
        if (!uidOwners_.contains(group->second.gid))
            usedIds_.erase(group->second.gid);
        groups_.erase(group);
    }
    shadowNames_.erase(key);
    gshadowNames_.erase(key);
    names_.erase(key);
    removed_ = true;
    return true;
}

bool AccountUpdate::changed() const
{
    return added_ || removed_;
}

void AccountUpdate::commit()
{
    if (added_ && removed_)
        throw InvalidArgumentError("an account update cannot both add and remove accounts");
    if (added_ || removed_)
        removeStaleTempFiles(root_, lock_);
    if (added_)
        writeChangedFiles({&gshadow_, &group_, &shadow_, &passwd_});
    else if (removed_)
        writeChangedFiles({&passwd_, &shadow_, &group_, &gshadow_});
    added_ = removed_ = false;
}

std::vector<std::filesystem::path> removeStaleTempFiles(const std::filesystem::path& root, const AccountLock&)
{
    std::vector<std::filesystem::path> removed;
    std::error_code error;
    for (const auto& entry : std::filesystem::directory_iterator(root / "etc", error)) {
        std::string name = entry.path().filename().string();
        auto marker = name.rfind(tempFileMarker);
        // mkostemp() appends six characters to the marker.
        if (marker == std::string::npos || marker + tempFileMarker.size() + 6 != name.size())
            continue;
        if (::unlink(entry.path().c_str()) != 0 && errno != ENOENT)
            throwSystemError("failed to remove the stale temp file '" + entry.path().string() + "'", errno);
        removed.push_back(entry.path());
    }
    if (error)
        throw SystemError("cannot read directory '" + (root / "etc").string() + "': " + error.message());
    return removed;
}

} // namespace pactown
