#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <pactown/config.h>
#include <pactown/isolated_user.h>
#include <pactown/progress.h>
#include <pactown/run.h>
#include <pactown/stats.h>

namespace pactown {

enum class ActiveRunPolicy {
    Refuse, // throw BusyError while the tenant has active runs
    Freeze, // freeze the tenant's runs for the duration and thaw them afterwards
};

// One problem that doctor() found in the registry, the account files, the homes or the units.
struct DoctorFinding {
    enum class Outcome {
        Found,      // repairable, but repair was not requested
        Repaired,   // repaired by this call
        NeedsOperator, // not repaired because a repair could lose data or take over an account
    };
    std::string check;   // what was checked, such as "account-missing" or "home-owner"
    std::string subject; // the Linux name or path concerned
    std::string detail;  // what is wrong and, when repaired, what was done
    Outcome outcome = Outcome::Found;
};

// The findings of one doctor() call; no findings means that everything is consistent.
struct DoctorReport {
    std::vector<DoctorFinding> findings;

    // True when nothing is left to repair or report.
    bool clean() const;
};

const char* toString(DoctorFinding::Outcome outcome);

// Maps a saas user id to hex digits from which Linux names are made (SHA-256 by default). A
// test hook: tests pass one with chosen collisions. It must return at least 23 lowercase hex
// digits and the same digits for the same id on every call.
using NameHasher = std::function<std::string(std::string_view)>;

// Callbacks for state changes, so that a daemon can emit signals.
struct ManagerObserver {
    std::function<void(const IsolatedUser&)> userCreated;
    std::function<void(const IsolatedUser&)> userRemoved;
    std::function<void(const RunInfo&, const RunResult&)> runFinished;
};

// The tenant manager: maps SaaS user ids to Linux accounts, homes and sandboxes and runs
// commands as them. Safe to use from several threads; several processes may share one
// account root and state directory.
// Every method throws InvalidArgumentError for a malformed saas user id or argument,
// NoSuchUserError where the tenant must exist and does not, and SystemError when the host
// fails.
class UserIsolationManager {
public:
    explicit UserIsolationManager(Config config);
    // Uses `nameHasher` in place of SHA-256 for Linux names; for tests of name collisions.
    UserIsolationManager(Config config, NameHasher nameHasher);
    ~UserIsolationManager();
    UserIsolationManager(const UserIsolationManager&) = delete;
    UserIsolationManager& operator=(const UserIsolationManager&) = delete;

    const Config& config() const;
    void setObserver(ManagerObserver observer);

    // Returns the tenant, creating account, group, home and sandboxes directory on first use.
    // Idempotent, also across processes sharing the state directory. Calls that arrive
    // together are created in one locked update of the account files. A tenant left half
    // created by a killed process is completed. Lookups of an existing tenant read only the
    // registry. Throws UidRangeExhaustedError when no UID is left, BusyError while the tenant
    // is being deleted.
    IsolatedUser getOrCreateUser(const std::string& saasUserId);
    std::optional<IsolatedUser> getUser(const std::string& saasUserId);
    std::vector<IsolatedUser> listUsers();

    // Returns <home>/sandboxes/<serviceId>, created with the tenant's ownership. Throws
    // InvalidArgumentError for an empty id, '.', '..' or an id with '/' or a NUL.
    std::filesystem::path getSandboxPath(const std::string& saasUserId, const std::string& serviceId);

    // Starts the command as a transient service of the tenant and returns once it runs with
    // its limits in place. Throws LimitsNotAppliedError (after stopping the unit) when the
    // unit's cgroup does not hold the requested limits.
    std::shared_ptr<Run> runAsUser(const std::string& saasUserId, const RunRequest& request);
    // The active runs of one tenant, or of all tenants for nullopt.
    std::vector<RunInfo> listRuns(const std::optional<std::string>& saasUserId = std::nullopt);
    // Stops the run with that unit name. Throws NoSuchRunError for a unit that is not a run.
    void stopRun(const std::string& unitName);

    UserStats getUserStats(const std::string& saasUserId);

    // Writes a tar.gz of the tenant's home and a manifest of its record to fd.
    void exportUserData(const std::string& saasUserId, int fd, ActiveRunPolicy policy,
                        const ProgressCallback& progress = {});
    // Replaces the tenant's home with the contents of the tar.gz read from fd, creating the
    // tenant if needed. All or nothing: throws UnsafeArchiveError naming the entry and
    // leaves the home as it was, and removes the tenant again when this call created it.
    void importUserData(const std::string& saasUserId, int fd, const ProgressCallback& progress = {});

    // Stops the tenant's runs, removes its processes, temporary files, IPC objects and account,
    // and the home if deleteHome. Its UID goes into quarantine. Throws NoSuchUserError
    // for an unknown tenant that was never deleted; deleting twice succeeds. A deletion that
    // a killed process left half done is completed.
    void deleteUser(const std::string& saasUserId, bool deleteHome);

    // Checks the registry against the account files, the homes and the units. It finds rows
    // left in 'creating' or 'deleting' by a killed process, and tenants without a complete
    // account or with a home that is missing or not theirs alone. It also finds accounts named
    // pactown_* that no tenant owns, runs of unknown tenants and stale temp files. With repair,
    // completes interrupted creations and deletions (keeping the home), re-creates missing
    // accounts and homes, and corrects the owner and mode of homes owned by root or the
    // tenant. It never removes an account or a home that the registry does not own.
    // Throws SystemError when the registry or the account files cannot be read.
    DoctorReport doctor(bool repair);

private:
    void deleteCreatedTenant(const IsolatedUser& user);

    struct State;
    std::unique_ptr<State> state_;
};

} // namespace pactown
