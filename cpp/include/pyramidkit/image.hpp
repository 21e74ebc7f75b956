// Plain C++ view of the arrays the kernels work on. No Python here.
#pragma once
#include <cstddef>
#include <cstdint>

namespace pk {

enum class DType : int { u8 = 0, u16 = 1, i16 = 2, f16 = 3, f32 = 4, f64 = 5 };
constexpr int kNumDTypes = 6;

// A batch of 2-D images. Every layout maps onto it without a copy:
//   HW -> (1, 1, H, W, 1)   HWC -> (1, 1, H, W, C)   NHWC -> (N, 1, H, W, C)
//   CHW -> (1, C, H, W, 1)  NCHW -> (N, C, H, W, 1)
// Planes and rows may have any byte stride (ROI views); within a row, pixels and their
// cn channels are contiguous, which the binding guarantees before a kernel runs.
struct Image {
    char* data = nullptr;
    int64_t n0 = 1, n1 = 1;    // plane grid
    int64_t h = 0, w = 0, cn = 1;
    int64_t s0 = 0, s1 = 0;    // byte strides of the plane grid
    int64_t sh = 0;            // byte stride between rows
    // Output pages just allocated and never written: the OS zeroes a page on first touch,
    // leaving its lines in cache, so ordinary stores beat non-temporal ones there.
    bool fresh = false;
    // Bytes of the whole output that this dst is a part of (0: dst alone), when a caller
    // fills one large array in several calls (pyramid_pool's channel slices): the choice
    // of non-temporal stores depends on the whole.
    int64_t whole_bytes = 0;

    int64_t planes() const { return n0 * n1; }
    char* plane(int64_t p) const { return data + (p / n1) * s0 + (p % n1) * s1; }
};

// OpenCV's border codes, so cv2.BORDER_* constants can be passed through.
enum class Border : int { constant = 0, replicate = 1, reflect = 2, wrap = 3, reflect101 = 4 };

struct BorderSpec {
    Border type = Border::reflect101;
    double value = 0.0;  // for Border::constant, already cast to the image dtype
};

}  // namespace pk
