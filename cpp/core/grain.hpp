// How much work a thread needs before another thread pays off, per kernel, in one table.
// Each entry is in the unit its kernel counts per item (the comment says which); results
// never depend on these (every item is computed the same way whatever the split).
#pragma once
#include <algorithm>
#include <cstdint>

namespace pk {
namespace grain {

constexpr int64_t kPyramid = int64_t(1) << 15;         // output elements (pyr_down, pyr_up, Laplacian)
constexpr int64_t kPyramidLevels = 4 * kPyramid;       // gaussian_pyramid: level-0 elements for 2+ threads
constexpr int64_t kBlur = 4096;                        // output elements
constexpr int64_t kResample = 8192;                    // output elements
constexpr int64_t kPool = int64_t(1) << 15;            // output elements x window taps
constexpr int64_t kConvTransposePad = 16384;           // padded input elements
constexpr int64_t kConvTranspose = int64_t(1) << 16;   // multiply-adds
constexpr int64_t kConvPad = 16384;                    // conv2d: padded input elements
constexpr int64_t kConv = int64_t(1) << 16;            // conv2d: multiply-adds

// Items per thread at least: grain units of work at `cost` units per item.
inline int64_t min_items(int64_t grain_units, int64_t cost) {
    return std::max<int64_t>(1, grain_units / std::max<int64_t>(1, cost));
}

}  // namespace grain
}  // namespace pk
