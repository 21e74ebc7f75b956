// Run-time choice of the ISA level.
#pragma once
#include <string>
#include <vector>

namespace pk {

enum class Isa : int { baseline = 0, avx2 = 1, avx512 = 2, avx512vbmi = 3 };

const char* isa_name(Isa isa);
std::vector<std::string> compiled_isas();   // levels built into this binary
std::vector<std::string> supported_isas();  // compiled and runnable on this CPU
std::string active_isa();
// Cap the level (e.g. "avx2"); the active level becomes the best supported one <= cap.
// Returns false for an unknown name. PYRAMIDKIT_MAX_ISA sets the cap at import.
bool set_max_isa(const std::string& name);

}  // namespace pk
