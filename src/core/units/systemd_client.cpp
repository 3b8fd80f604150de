#include "units/systemd_client.h"

#include <pactown/errors.h>

#include <spdlog/spdlog.h>

namespace pactown {

namespace {

constexpr const char* systemdService = "org.freedesktop.systemd1";
constexpr const char* managerPath = "/org/freedesktop/systemd1";
constexpr const char* managerInterface = "org.freedesktop.systemd1.Manager";
constexpr const char* propertiesInterface = "org.freedesktop.DBus.Properties";

// The sender is matched by its well-known name, which the bus broker resolves to systemd's
// connection, so that no other client can fake a job result.
constexpr const char* jobRemovedMatch =
    "type='signal',sender='org.freedesktop.systemd1',path='/org/freedesktop/systemd1',"
    "interface='org.freedesktop.systemd1.Manager',member='JobRemoved'";
constexpr const char* unitPropertiesMatch =
    "type='signal',sender='org.freedesktop.systemd1',interface='org.freedesktop.DBus.Properties',"
    "member='PropertiesChanged',path_namespace='/org/freedesktop/systemd1/unit'";

std::unique_ptr<sdbus::IConnection> connect(SystemdUnits::Bus bus)
{
    try {
        return bus == SystemdUnits::Bus::System ? sdbus::createSystemBusConnection()
                                                : sdbus::createSessionBusConnection();
    } catch (const sdbus::Error& error) {
        throw SystemError(std::string("cannot connect to the ") +
                          (bus == SystemdUnits::Bus::System ? "system" : "session") +
                          " bus: " + error.getMessage());
    }
}

} // namespace

SystemdClient::SystemdClient(SystemdUnits::Bus bus, UnitChangedHandler onUnitChanged)
    : connection_(connect(bus)), onUnitChanged_(std::move(onUnitChanged))
{
    try {
        manager_ = sdbus::createProxy(*connection_, systemdService, managerPath);
        connection_->addMatch(jobRemovedMatch, [this](sdbus::Message& signal) { onJobRemoved(signal); },
                              sdbus::floating_slot);
        connection_->addMatch(unitPropertiesMatch,
                              [this](sdbus::Message& signal) { onPropertiesChanged(signal); },
                              sdbus::floating_slot);
        connection_->enterEventLoopAsync();

        // Without a Subscribe call the manager does not send JobRemoved and PropertiesChanged.
        manager_->callMethod("Subscribe").onInterface(managerInterface);
    } catch (const sdbus::Error& error) {
        throw SystemError("cannot subscribe to systemd's signals: " + error.getName() + ": " +
                          error.getMessage());
    }
}

SystemdClient::~SystemdClient()
{
    connection_->leaveEventLoop();
}

void SystemdClient::onJobRemoved(sdbus::Message& signal)
{
    uint32_t id = 0;
    sdbus::ObjectPath job;
    std::string unit;
    std::string result;
    signal >> id >> job >> unit >> result;

    std::lock_guard lock(mutex_);
    auto expected = expectedJobs_.find(unit);
    if (expected == expectedJobs_.end())
        return;
    expected->second.results[job] = result;
    jobRemoved_.notify_all();
}

void SystemdClient::onPropertiesChanged(sdbus::Message& signal)
{
    std::string interface;
    signal >> interface;
    if (interface == unitInterface)
        onUnitChanged_(signal.getPath());
}

void SystemdClient::expectJobs(const std::string& unitName)
{
    std::lock_guard lock(mutex_);
    ++expectedJobs_[unitName].users;
}

void SystemdClient::forgetJobs(const std::string& unitName)
{
    std::lock_guard lock(mutex_);
    auto expected = expectedJobs_.find(unitName);
    if (expected != expectedJobs_.end() && --expected->second.users == 0)
        expectedJobs_.erase(expected);
}

std::optional<std::string> SystemdClient::waitForJob(const std::string& unitName, const std::string& jobPath,
                                                     std::chrono::steady_clock::time_point deadline)
{
    std::unique_lock lock(mutex_);
    auto& results = expectedJobs_.at(unitName).results;
    if (!jobRemoved_.wait_until(lock, deadline, [&] { return results.contains(jobPath); }))
        return std::nullopt;
    std::string result = results[jobPath];
    results.erase(jobPath);
    return result;
}

std::string SystemdClient::startTransientUnit(const std::string& unitName, const UnitProperties& properties)
{
    using AuxiliaryUnits = std::vector<sdbus::Struct<std::string, UnitProperties>>;
    sdbus::ObjectPath job;
    manager_->callMethod("StartTransientUnit")
        .onInterface(managerInterface)
        .withArguments(unitName, std::string("fail"), properties, AuxiliaryUnits{})
        .storeResultsTo(job);
    return job;
}

std::string SystemdClient::stopUnit(const std::string& unitName)
{
    sdbus::ObjectPath job;
    manager_->callMethod("StopUnit")
        .onInterface(managerInterface)
        .withArguments(unitName, std::string("replace"))
        .storeResultsTo(job);
    return job;
}

void SystemdClient::callUnitMethod(const std::string& method, const std::string& unitName)
{
    manager_->callMethod(method).onInterface(managerInterface).withArguments(unitName);
}

void SystemdClient::killUnit(const std::string& unitName, int signalNumber)
{
    manager_->callMethod("KillUnit").onInterface(managerInterface).withArguments(unitName, std::string("all"), int32_t{signalNumber});
}

std::vector<std::string> SystemdClient::listUnitsByPatterns(const std::vector<std::string>& states,
                                                            const std::vector<std::string>& patterns)
{
    // name, description, load state, active state, sub state, following, object path, job id,
    // job type, job path
    using UnitRow = sdbus::Struct<std::string, std::string, std::string, std::string, std::string,
                                  std::string, sdbus::ObjectPath, uint32_t, std::string, sdbus::ObjectPath>;
    std::vector<UnitRow> rows;
    manager_->callMethod("ListUnitsByPatterns")
        .onInterface(managerInterface)
        .withArguments(states, patterns)
        .storeResultsTo(rows);

    std::vector<std::string> names;
    for (const auto& row : rows)
        names.push_back(row.get<0>());
    return names;
}

std::vector<std::string> SystemdClient::managerEnvironment()
{
    return getProperty(managerPath, managerInterface, "Environment").get<std::vector<std::string>>();
}

sdbus::Variant SystemdClient::getProperty(const std::string& objectPath, const std::string& interface,
                                          const std::string& name)
{
    auto object = sdbus::createProxy(*connection_, systemdService, objectPath);
    sdbus::Variant value;
    object->callMethod("Get").onInterface(propertiesInterface).withArguments(interface, name).storeResultsTo(value);
    return value;
}

std::map<std::string, sdbus::Variant> SystemdClient::getAllProperties(const std::string& objectPath,
                                                                      const std::string& interface)
{
    auto object = sdbus::createProxy(*connection_, systemdService, objectPath);
    std::map<std::string, sdbus::Variant> values;
    object->callMethod("GetAll").onInterface(propertiesInterface).withArguments(interface).storeResultsTo(values);
    return values;
}

} // namespace pactown
