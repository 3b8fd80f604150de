#include "http_client.h"

#include <arpa/inet.h>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <netinet/in.h>
#include <poll.h>
#include <stdexcept>
#include <sys/socket.h>
#include <unistd.h>

namespace pactown::gateway::test {

int connectLoopback(uint16_t port, int family)
{
    const int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        throw std::runtime_error(std::string("socket failed: ") + std::strerror(errno));
    int result = -1;
    if (family == AF_INET6) {
        sockaddr_in6 address{};
        address.sin6_family = AF_INET6;
        address.sin6_addr = in6addr_loopback;
        address.sin6_port = htons(port);
        result = connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
    } else {
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        address.sin_port = htons(port);
        result = connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
    }
    if (result < 0) {
        const int error = errno;
        close(fd);
        throw std::runtime_error(std::string("connect to the gateway failed: ") + std::strerror(error));
    }
    return fd;
}

void sendText(int fd, std::string_view data)
{
    while (!data.empty()) {
        const ssize_t count = send(fd, data.data(), data.size(), MSG_NOSIGNAL);
        if (count < 0 && errno == EINTR)
            continue;
        if (count < 0)
            throw std::runtime_error(std::string("send to the gateway failed: ") + std::strerror(errno));
        data.remove_prefix(static_cast<size_t>(count));
    }
}

ClientResponse readResponse(int fd)
{
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    std::string raw;
    char buffer[4096];
    for (;;) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        pollfd entry{fd, POLLIN, 0};
        if (left.count() <= 0 || poll(&entry, 1, static_cast<int>(left.count())) == 0)
            throw std::runtime_error("the gateway did not close the connection within 10 seconds; received: " + raw);
        const ssize_t count = recv(fd, buffer, sizeof buffer, 0);
        if (count < 0 && errno == EINTR)
            continue;
        if (count < 0)
            throw std::runtime_error(std::string("recv from the gateway failed: ") + std::strerror(errno));
        if (count == 0)
            break;
        raw.append(buffer, static_cast<size_t>(count));
    }

    const size_t headEnd = raw.find("\r\n\r\n");
    if (raw.compare(0, 9, "HTTP/1.1 ") != 0 || headEnd == std::string::npos)
        throw std::runtime_error("malformed response: " + raw);
    ClientResponse response;
    response.status = std::stoi(raw.substr(9, 3));
    response.head = raw.substr(0, headEnd + 2);
    response.body = nlohmann::json::parse(raw.substr(headEnd + 4));
    return response;
}

ClientResponse sendRequest(uint16_t port, std::string_view request, int family)
{
    const int fd = connectLoopback(port, family);
    try {
        sendText(fd, request);
        ClientResponse response = readResponse(fd);
        close(fd);
        return response;
    } catch (...) {
        close(fd);
        throw;
    }
}

} // namespace pactown::gateway::test
