// Run-time choice of the ISA level (the levels: core/isa.hpp).
#pragma once
#include <string>
#include <vector>

#include "core/isa.hpp"

namespace pk {

const char* isa_name(Isa isa);
std::vector<std::string> all_isas();        // every level of this architecture
std::vector<std::string> compiled_isas();   // levels built into this binary
std::vector<std::string> supported_isas();  // compiled and runnable on this CPU
std::string active_isa();
// Cap the level (e.g. "avx2"); the active level becomes the best supported one <= cap.
// Returns false for an unknown name. PYRAMIDKIT_MAX_ISA sets the cap at import.
bool set_max_isa(const std::string& name);

}  // namespace pk
