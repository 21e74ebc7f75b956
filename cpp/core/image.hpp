// Plain C++ view of the arrays the kernels work on, the dtype codes and the border codes.
// No Python here; the bindings export the codes to Python (_core.DTYPES, _core.BORDERS),
// so this file is their one definition.
#pragma once
#include <cstddef>
#include <cstdint>

namespace pk {

// X(code name, NumPy dtype name): the image dtypes, in code order.
#define PK_DTYPES(X) X(u8, "uint8") X(u16, "uint16") X(i16, "int16") X(f16, "float16") X(f32, "float32") X(f64, "float64")
#define PK_DTYPE_ENUM(code, name) code,
enum class DType : int { PK_DTYPES(PK_DTYPE_ENUM) };
#undef PK_DTYPE_ENUM
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
    int64_t elements() const { return planes() * h * w * cn; }
    char* plane(int64_t p) const { return data + (p / n1) * s0 + (p % n1) * s1; }
};

// Row y of plane p of im, as T.
template <class T>
inline const T* row_ptr(const Image& im, int64_t p, int64_t y) {
    return (const T*)(im.plane(p) + y * im.sh);
}

// X(name, code): OpenCV's border codes, so cv2.BORDER_* constants can be passed through.
#define PK_BORDERS(X) X(constant, 0) X(replicate, 1) X(reflect, 2) X(wrap, 3) X(reflect101, 4)
#define PK_BORDER_ENUM(name, code) name = code,
enum class Border : int { PK_BORDERS(PK_BORDER_ENUM) };
#undef PK_BORDER_ENUM

struct BorderSpec {
    Border type = Border::reflect101;
    double value = 0.0;  // for Border::constant, already cast to the image dtype
};

}  // namespace pk
