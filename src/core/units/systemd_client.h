#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <sdbus-c++/sdbus-c++.h>

#include "units/systemd_units.h"

namespace pactown {

// The properties argument of StartTransientUnit, a(sv).
using UnitProperties = std::vector<sdbus::Struct<std::string, sdbus::Variant>>;

inline constexpr const char* unitInterface = "org.freedesktop.systemd1.Unit";
inline constexpr const char* serviceInterface = "org.freedesktop.systemd1.Service";

// A D-Bus client of systemd's manager: method calls, property reads and the JobRemoved and
// PropertiesChanged signals, dispatched by an event loop on a thread of its own.
// Every method throws sdbus::Error as the bus or systemd returns it, unless its comment names another error.
class SystemdClient {
public:
    // Called on the event loop thread with the object path of a unit whose Unit properties changed.
    using UnitChangedHandler = std::function<void(const std::string& unitPath)>;

    // Connects, installs the signal matches and calls Subscribe, in that order, so that no
    // signal of a later job is missed. Throws SystemError when the bus cannot be reached.
    SystemdClient(SystemdUnits::Bus bus, UnitChangedHandler onUnitChanged);
    ~SystemdClient();

    // Collects the results of the jobs of unitName from now on, until the matching
    // forgetJobs(). Calls nest.
    void expectJobs(const std::string& unitName);
    void forgetJobs(const std::string& unitName);
    // Returns the result of the job ("done", "failed", "canceled", "timeout", "dependency",
    // "skipped"), or nullopt when the deadline passes first. expectJobs() must be in effect.
    std::optional<std::string> waitForJob(const std::string& unitName, const std::string& jobPath,
                                          std::chrono::steady_clock::time_point deadline);

    // These return the object path of the job they queue.
    std::string startTransientUnit(const std::string& unitName, const UnitProperties& properties);
    std::string stopUnit(const std::string& unitName);

    void callUnitMethod(const std::string& method, const std::string& unitName);
    // Sends signalNumber to every process of the unit (KillUnit with "all").
    void killUnit(const std::string& unitName, int signalNumber);
    std::vector<std::string> listUnitsByPatterns(const std::vector<std::string>& states,
                                                 const std::vector<std::string>& patterns);
    std::vector<std::string> managerEnvironment();

    sdbus::Variant getProperty(const std::string& objectPath, const std::string& interface,
                               const std::string& name);
    std::map<std::string, sdbus::Variant> getAllProperties(const std::string& objectPath,
                                                           const std::string& interface);

private:
    struct ExpectedJobs {
        unsigned users = 0;
        std::map<std::string, std::string> results; // job path -> result
    };

    void onJobRemoved(sdbus::Message& signal);
    void onPropertiesChanged(sdbus::Message& signal);

    std::unique_ptr<sdbus::IConnection> connection_;
    std::unique_ptr<sdbus::IProxy> manager_;
    UnitChangedHandler onUnitChanged_;
    std::mutex mutex_;
    std::condition_variable jobRemoved_;
    std::map<std::string, ExpectedJobs> expectedJobs_; // by unit name
};

// Collects the results of a unit's jobs for its lifetime.
class JobWatch {
public:
    JobWatch(SystemdClient& client, std::string unitName)
        : client_(client), unitName_(std::move(unitName))
    {
        client_.expectJobs(unitName_);
    }
    ~JobWatch() { client_.forgetJobs(unitName_); }
    JobWatch(const JobWatch&) = delete;
    JobWatch& operator=(const JobWatch&) = delete;

private:
    SystemdClient& client_;
    std::string unitName_;
};

} // namespace pactown
