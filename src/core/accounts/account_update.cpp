#include "accounts/account_update.h"

#include <pactown/errors.h>

#include <array>
#include <ctime>

#include "accounts/account_writer.h"
#include "identity/linux_name.h"
#include "identity/saas_id.h"

namespace pactown {

namespace {

using NameSet = std::set<std::string, std::less<>>;

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

// The four files and the indexes of their entries, kept up to date by add() and remove(), so
// that checking a batch of accounts or every tenant costs one read of the files.
struct AccountSnapshot {
    LoadedAccountFile passwd;
    LoadedAccountFile group;
    LoadedAccountFile shadow;
    LoadedAccountFile gshadow;
    std::set<std::string, std::less<>> names;
    std::unordered_set<uid_t> usedIds;
    std::unordered_map<std::string, PasswdEntry> users;
    std::unordered_map<std::string, GroupEntry> groups;
    std::unordered_map<uid_t, std::string> uidOwners;
    std::unordered_map<gid_t, std::string> gidOwners;
    std::set<std::string, std::less<>> shadowNames;
    std::set<std::string, std::less<>> gshadowNames;

    std::array<const LoadedAccountFile*, 4> files() const { return {&passwd, &group, &shadow, &gshadow}; }
};

namespace {

// New files get the modes of a Debian system: passwd and group 0644 root:root, shadow and
// gshadow 0640 root:shadow (root:root if the root has no group "shadow").
std::unique_ptr<AccountSnapshot> readSnapshot(const std::filesystem::path& root)
{
    auto state = std::make_unique<AccountSnapshot>();
    auto etc = root / "etc";
    state->passwd = loadAccountFile(etc / "passwd", {0644, 0, 0});
    state->group = loadAccountFile(etc / "group", {0644, 0, 0});

    gid_t shadowGroup = 0;
    for (const auto& line : state->group.file.lines()) {
        auto entry = parseGroupLine(line);
        if (entry && entry->name == "shadow")
            shadowGroup = entry->gid;
    }
    state->shadow = loadAccountFile(etc / "shadow", {0640, 0, shadowGroup});
    state->gshadow = loadAccountFile(etc / "gshadow", {0640, 0, shadowGroup});

    for (const auto* loaded : state->files()) {
        for (const auto& line : loaded->file.lines()) {
            if (auto name = entryName(line))
                state->names.emplace(*name);
        }
    }
    for (const auto& line : state->passwd.file.lines()) {
        if (auto entry = parsePasswdLine(line)) {
            state->usedIds.insert(entry->uid);
            state->uidOwners.emplace(entry->uid, entry->name);
            state->users.emplace(entry->name, std::move(*entry));
        }
    }
    for (const auto& line : state->group.file.lines()) {
        if (auto entry = parseGroupLine(line)) {
            state->usedIds.insert(entry->gid);
            state->gidOwners.emplace(entry->gid, entry->name);
            state->groups.emplace(entry->name, std::move(*entry));
        }
    }
    for (const auto& line : state->shadow.file.lines()) {
        if (auto name = entryName(line))
            state->shadowNames.emplace(*name);
    }
    for (const auto& line : state->gshadow.file.lines()) {
        if (auto name = entryName(line))
            state->gshadowNames.emplace(*name);
    }
    return state;
}

// Whether every file on disk is still the version that `state` holds.
bool isCurrent(const AccountSnapshot& state, const std::filesystem::path& root)
{
    for (const auto* loaded : state.files()) {
        if (loaded->path.parent_path() != root / "etc" || currentFileIdentity(loaded->path) != loaded->identity)
            return false;
    }
    return true;
}

} // namespace

AccountFilesCache::AccountFilesCache() = default;
AccountFilesCache::~AccountFilesCache() = default;

AccountFilesCache::Counters AccountFilesCache::counters() const
{
    std::lock_guard lock(mutex_);
    return counters_;
}

std::unique_ptr<AccountSnapshot> AccountFilesCache::take()
{
    std::lock_guard lock(mutex_);
    return std::move(snapshot_);
}

void AccountFilesCache::keep(std::unique_ptr<AccountSnapshot> snapshot, bool reused)
{
    std::lock_guard lock(mutex_);
    ++(reused ? counters_.reused : counters_.read);
    if (snapshot)
        snapshot_ = std::move(snapshot);
}

AccountUpdate::AccountUpdate(const std::filesystem::path& root, const AccountLock& lock, AccountFilesCache* cache)
    : root_(root)
    , lock_(lock)
    , cache_(cache)
{
    if (cache_) {
        state_ = cache_->take();
        reused_ = state_ && isCurrent(*state_, root_);
    }
    if (!reused_)
        state_ = readSnapshot(root_);
}

AccountUpdate::~AccountUpdate()
{
    if (!cache_)
        return;
    // After a failed commit() the files on disk may hold any mix of old and new versions.
    bool matchesDisk = !added_ && !removed_;
    cache_->keep(matchesDisk ? std::move(state_) : nullptr, reused_);
}

const std::unordered_set<uid_t>& AccountUpdate::usedIds() const
{
    return state_->usedIds;
}

bool AccountUpdate::hasName(std::string_view name) const
{
    return state_->names.contains(name);
}

std::optional<PasswdEntry> AccountUpdate::user(std::string_view name) const
{
    auto it = state_->users.find(std::string(name));
    return it == state_->users.end() ? std::nullopt : std::optional(it->second);
}

std::optional<GroupEntry> AccountUpdate::group(std::string_view name) const
{
    auto it = state_->groups.find(std::string(name));
    return it == state_->groups.end() ? std::nullopt : std::optional(it->second);
}

std::vector<PasswdEntry> AccountUpdate::users() const
{
    std::vector<PasswdEntry> entries;
    for (const auto& line : state_->passwd.file.lines()) {
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
    auto user = state_->users.find(name);
    if (user != state_->users.end() && (user->second.uid != account.uid || user->second.gid != account.gid))
        return conflict("user " + quoteForMessage(name) + " exists with UID " + std::to_string(user->second.uid) +
                        " and GID " + std::to_string(user->second.gid));
    auto group = state_->groups.find(name);
    if (group != state_->groups.end() && group->second.gid != account.gid)
        return conflict("group " + quoteForMessage(name) + " exists with GID " + std::to_string(group->second.gid));
    if (auto owner = state_->uidOwners.find(account.uid); owner != state_->uidOwners.end() && owner->second != name)
        return conflict("UID " + std::to_string(account.uid) + " belongs to user " + quoteForMessage(owner->second));
    if (auto owner = state_->gidOwners.find(account.gid); owner != state_->gidOwners.end() && owner->second != name)
        return conflict("GID " + std::to_string(account.gid) + " belongs to group " + quoteForMessage(owner->second));

    int present = (user != state_->users.end()) + (group != state_->groups.end()) + state_->shadowNames.contains(name) +
                  state_->gshadowNames.contains(name);
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
    if (!state_->users.contains(name)) {
        PasswdEntry entry{name, "x", account.uid, account.gid, account.gecos, account.home.string(), account.shell};
        state_->passwd.file.insertEntry(formatPasswdLine(entry));
        state_->uidOwners.emplace(account.uid, name);
        state_->users.emplace(name, std::move(entry));
    }
    if (!state_->groups.contains(name)) {
        GroupEntry entry{name, "x", account.gid, {}};
        state_->group.file.insertEntry(formatGroupLine(entry));
        state_->gidOwners.emplace(account.gid, name);
        state_->groups.emplace(name, std::move(entry));
    }
    if (state_->shadowNames.insert(name).second)
        state_->shadow.file.insertEntry(formatShadowLine({name, "!*", today, "", "", "", "", "", ""}));
    if (state_->gshadowNames.insert(name).second)
        state_->gshadow.file.insertEntry(formatGshadowLine({name, "!*", {}, {}}));
    state_->names.insert(name);
    state_->usedIds.insert(account.uid);
    state_->usedIds.insert(account.gid);
    added_ = true;
}

bool AccountUpdate::remove(std::string_view name)
{
    NameSet names{std::string(name)};
    size_t removed = state_->passwd.file.removeEntries(names) + state_->group.file.removeEntries(names) +
                     state_->shadow.file.removeEntries(names) + state_->gshadow.file.removeEntries(names);
    if (removed == 0)
        return false;

    std::string key(name);
    if (auto user = state_->users.find(key); user != state_->users.end()) {
        state_->uidOwners.erase(user->second.uid);
        state_->usedIds.erase(user->second.uid);
        state_->users.erase(user);
    }
    if (auto group = state_->groups.find(key); group != state_->groups.end()) {
        state_->gidOwners.erase(group->second.gid);
        if (!state_->uidOwners.contains(group->second.gid))
            state_->usedIds.erase(group->second.gid);
        state_->groups.erase(group);
    }
    state_->shadowNames.erase(key);
    state_->gshadowNames.erase(key);
    state_->names.erase(key);
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
    removeStaleTempFiles(root_, lock_);
    if (added_)
        writeChangedFiles({&state_->gshadow, &state_->group, &state_->shadow, &state_->passwd});
    else if (removed_)
        writeChangedFiles({&state_->passwd, &state_->shadow, &state_->group, &state_->gshadow});
    added_ = removed_ = false;
}

} // namespace pactown
