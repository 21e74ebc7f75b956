// Borders: OpenCV's borderInterpolate, the one rule every kernel maps indices by.
#pragma once
#include <cstdint>

#include "core/image.hpp"

namespace pk {
namespace PK_ISA_NS {

// OpenCV's borderInterpolate: the index that virtual index p reads, or -1 (constant).
inline int64_t border_index(int64_t p, int64_t len, Border b) {
    if (p >= 0 && p < len) return p;
    switch (b) {
        case Border::replicate: return p < 0 ? 0 : len - 1;
        case Border::reflect:
        case Border::reflect101: {
            if (len == 1) return 0;
            int64_t delta = b == Border::reflect101 ? 1 : 0;
            do {
                if (p < 0) p = -p - 1 + delta;
                else p = len - 1 - (p - len) - delta;
            } while (p < 0 || p >= len);
            return p;
        }
        case Border::wrap:
            if (p < 0) p -= ((p - len + 1) / len) * len;
            if (p >= len) p %= len;
            return p;
        case Border::constant:
        default: return -1;
    }
}

}  // namespace PK_ISA_NS
}  // namespace pk
