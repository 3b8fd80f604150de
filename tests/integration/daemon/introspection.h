#pragma once

#include <string>
#include <vector>

namespace pactown::testing {

// Reduces introspection XML to one line per interface, member, argument and annotation of the
// interfaces whose names start with `interfacePrefix`, members sorted by kind and name and
// arguments in order. Comments and the annotations that only steer the code generator are
// left out, so that the XML in the source tree and the XML that sd-bus generates compare equal
// when they describe the same API.
std::vector<std::string> normalizeIntrospection(const std::string& xml, const std::string& interfacePrefix);

} // namespace pactown::testing
