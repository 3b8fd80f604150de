#include "introspection.h"

#include <algorithm>
#include <map>
#include <regex>

namespace pactown::testing {

namespace {

std::string stripComments(const std::string& xml)
{
    return std::regex_replace(xml, std::regex("<!--[\\s\\S]*?-->"), "");
}

std::string attribute(const std::string& attributes, const std::string& name)
{
    std::smatch match;
    if (std::regex_search(attributes, match, std::regex("\\b" + name + "=\"([^\"]*)\"")))
        return match[1];
    return "";
}

struct Member {
    std::string header;
    std::vector<std::string> details;
};

} // namespace

std::vector<std::string> normalizeIntrospection(const std::string& xml, const std::string& interfacePrefix)
{
    static const std::regex tag("<(/?)(interface|method|signal|property|arg|annotation)\\b([^>]*?)(/?)>");
    const std::string text = stripComments(xml);

    std::map<std::string, std::vector<Member>> interfaces;
    std::vector<Member>* members = nullptr;
    std::string memberKind;
    for (auto it = std::sregex_iterator(text.begin(), text.end(), tag); it != std::sregex_iterator(); ++it) {
        const bool closing = (*it)[1] == "/";
        const std::string element = (*it)[2];
        const std::string attributes = (*it)[3];
        if (element == "interface") {
            const std::string name = attribute(attributes, "name");
            members = closing || name.rfind(interfacePrefix, 0) != 0 ? nullptr : &interfaces[name];
            continue;
        }
        if (!members || closing)
            continue;
        if (element == "method" || element == "signal" || element == "property") {
            memberKind = element;
            std::string header = element + " " + attribute(attributes, "name");
            if (element == "property")
                header += " " + attribute(attributes, "type") + " " + attribute(attributes, "access");
            members->push_back({header, {}});
        } else if (element == "arg" && !members->empty()) {
            std::string direction = attribute(attributes, "direction");
            if (direction.empty() && memberKind == "method")
                direction = "in";
            members->back().details.push_back("arg " + attribute(attributes, "name") + " " +
                                              attribute(attributes, "type") + " " + direction);
        } else if (element == "annotation" && !members->empty()) {
            const std::string name = attribute(attributes, "name");
            if (name != "org.freedesktop.DBus.Method.Async")
                members->back().details.push_back("annotation " + name + "=" + attribute(attributes, "value"));
        }
    }

    std::vector<std::string> lines;
    for (auto& [name, list] : interfaces) {
        lines.push_back("interface " + name);
        std::sort(list.begin(), list.end(), [](const Member& a, const Member& b) { return a.header < b.header; });
        for (const auto& member : list) {
            lines.push_back("  " + member.header);
            for (const auto& detail : member.details)
                lines.push_back("    " + detail);
        }
    }
    return lines;
}

} // namespace pactown::testing
