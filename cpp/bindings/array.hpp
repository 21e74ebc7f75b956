// What every binding shares: NumPy array -> pk::Image, the dtype and border codes, the
// kernel lookup, and the memory-safety checks. The policy, the same for every op: Python
// (python/pyramidkit) validates and normalises everything and gives the errors users
// see; a binding re-checks exactly what the kernel's reads and writes rely on (dtypes,
// ranks, strides, and the sizes that bound every index), so a direct _core call with
// wrong sizes raises instead of reading or writing out of bounds. No arithmetic here.
#pragma once
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <string>

#include "core/kernels.hpp"

namespace pk::bind {

namespace py = pybind11;

inline DType dtype_of(const py::array& a, const char* name) {
    const py::dtype dt = a.dtype();
    const char kind = dt.kind();
    const auto size = dt.itemsize();
    if (kind == 'u' && size == 1) return DType::u8;
    if (kind == 'u' && size == 2) return DType::u16;
    if (kind == 'i' && size == 2) return DType::i16;
    if (kind == 'f' && size == 2) return DType::f16;
    if (kind == 'f' && size == 4) return DType::f32;
    if (kind == 'f' && size == 8) return DType::f64;
    throw py::type_error(std::string(name) + ": unsupported dtype " + std::string(py::str(dt)));
}

inline void check_dtype(const py::array& a, DType dt, const char* name) {
    if (dtype_of(a, name) != dt) throw py::type_error(std::string(name) + ": dtype differs from the input's");
}

inline void check_int64(const py::array& a, const char* name) {
    if (a.dtype().kind() != 'i' || a.itemsize() != 8) throw py::type_error(std::string(name) + ": expected int64");
}

// A 5-D (n0, n1, H, W, C) plane view whose pixels are contiguous within a row.
inline Image image_of(const py::array& a, const char* name, bool writeable) {
    if (a.ndim() != 5) throw py::value_error(std::string(name) + ": expected a 5-D plane view");
    if (writeable && !a.writeable()) throw py::value_error(std::string(name) + ": array is read-only");
    const auto item = a.itemsize();
    if ((a.shape(4) > 1 && a.strides(4) != item) || (a.shape(3) > 1 && a.strides(3) != a.shape(4) * item))
        throw py::value_error(std::string(name) + ": pixels must be contiguous within a row");
    Image im;
    im.data = static_cast<char*>(const_cast<void*>(a.data()));
    im.n0 = a.shape(0); im.n1 = a.shape(1); im.h = a.shape(2); im.w = a.shape(3); im.cn = a.shape(4);
    im.s0 = a.strides(0); im.s1 = a.strides(1); im.sh = a.strides(2);
    return im;
}

// A 4-D (n, c, h, w) feature map with every stride whole elements (the convolution kernels
// index in elements): planar, its last axis unit-stride, as an Image of n x c planes; or,
// where channels_last is allowed and the last axis is not unit-stride, channels-last (the
// channels of a pixel contiguous, pixels c apart) as n planes of c-channel pixels.
inline Image feature_map(const py::array& a, const char* name, bool writeable, bool channels_last = false) {
    if (a.ndim() != 4) throw py::value_error(std::string(name) + ": expected a 4-D array");
    if (writeable && !a.writeable()) throw py::value_error(std::string(name) + ": array is read-only");
    const auto item = a.itemsize();
    for (int i = 0; i < 4; ++i)
        if (a.strides(i) % item) throw py::value_error(std::string(name) + ": strides must be whole elements");
    Image im;
    im.data = static_cast<char*>(const_cast<void*>(a.data()));
    im.n0 = a.shape(0); im.h = a.shape(2); im.w = a.shape(3);
    im.s0 = a.strides(0); im.sh = a.strides(2);
    if (a.shape(3) == 1 || a.strides(3) == item) {
        im.n1 = a.shape(1); im.cn = 1; im.s1 = a.strides(1);
        return im;
    }
    if (!channels_last || (a.shape(1) > 1 && a.strides(1) != item) || a.strides(3) != a.shape(1) * item)
        throw py::value_error(std::string(name) + (channels_last ? ": expected NCHW or channels-last strides"
                                                                 : ": the last axis must be contiguous"));
    im.n1 = 1; im.cn = a.shape(1); im.s1 = 0;
    return im;
}

// The arguments of a convolution (conv2d, conv_transpose2d), checked: x, weight, bias and
// out of one float dtype, weight a C-contiguous 4-D array, stride / padding / dilation
// pairs with a positive kernel, stride and dilation and non-negative padding, bias None or
// c_out contiguous values. The shapes' agreement is the op's to check.
struct ConvArgs {
    DType dt;
    Image x, out;
    ConvSpec spec;
    const void* w;
    const void* b;
};
inline ConvArgs conv_args(const py::array& x, const py::array& weight, const py::object& bias, const py::array& out,
                          const std::vector<int64_t>& stride, const std::vector<int64_t>& padding,
                          const std::vector<int64_t>& dilation, int64_t groups, bool channels_last) {
    ConvArgs a{dtype_of(x, "x"), {}, {}, {}, weight.data(), nullptr};
    if (a.dt != DType::f32 && a.dt != DType::f64) throw py::type_error("x: expected float32 or float64");
    check_dtype(weight, a.dt, "weight");
    check_dtype(out, a.dt, "out");
    if (weight.ndim() != 4 || !(weight.flags() & py::array::c_style))
        throw py::value_error("weight: expected a C-contiguous 4-D array");
    if (stride.size() != 2 || padding.size() != 2 || dilation.size() != 2)
        throw py::value_error("stride/padding/dilation: expected pairs");
    a.x = feature_map(x, "x", false, channels_last);
    a.out = feature_map(out, "out", true, channels_last);
    ConvSpec& g = a.spec;
    g.groups = groups;
    g.kh = weight.shape(2); g.kw = weight.shape(3);
    g.sh = stride[0]; g.sw = stride[1]; g.ph = padding[0]; g.pw = padding[1]; g.dh = dilation[0]; g.dw = dilation[1];
    if (g.kh < 1 || g.kw < 1 || g.sh < 1 || g.sw < 1 || g.dh < 1 || g.dw < 1 || g.ph < 0 || g.pw < 0)
        throw py::value_error("kernel/stride/dilation must be positive, padding non-negative");
    if (!bias.is_none()) {
        const py::array ba = bias.cast<py::array>();
        const int64_t c_out = a.out.n1 * a.out.cn;
        check_dtype(ba, a.dt, "bias");
        if (ba.ndim() != 1 || ba.shape(0) != c_out || (c_out > 1 && ba.strides(0) != ba.itemsize()))
            throw py::value_error("bias: expected c_out contiguous values");
        a.b = ba.data();
    }
    return a;
}

// dst has src's planes and channels, both non-empty.
inline void check_planes(const Image& src, const Image& dst, const char* names) {
    if (src.planes() != dst.planes() || src.cn != dst.cn || src.h < 1 || src.w < 1 || dst.h < 1 || dst.w < 1)
        throw py::value_error(std::string(names) + ": plane counts, channels or sizes do not match");
}

// The src / dst pair of a one-input, one-output op: the same dtype, dst writeable, the same
// planes and channels, both non-empty. fresh: dst was just allocated (see Image::fresh).
struct SrcDst {
    DType dt;
    Image src, dst;
};
inline SrcDst src_dst(const py::array& src, const py::array& dst, bool fresh = false) {
    SrcDst r{dtype_of(src, "src"), {}, {}};
    check_dtype(dst, r.dt, "dst");
    r.src = image_of(src, "src", false);
    r.dst = image_of(dst, "dst", true);
    r.dst.fresh = fresh;
    check_planes(r.src, r.dst, "src/dst");
    return r;
}

inline BorderSpec border_of(int border, double value) {
#define PK_BORDER_CASE(name, code) case code:
    switch (border) {
        PK_BORDERS(PK_BORDER_CASE)
        return BorderSpec{static_cast<Border>(border), value};
    }
#undef PK_BORDER_CASE
    throw py::value_error("border: unknown border code " + std::to_string(border));
}

// The active level's kernel of `entry` for dtype dt; TypeError where none exists.
template <class Fn>
inline Fn kernel(Fn (KernelTable::*entry)[kNumDTypes], DType dt, const char* op) {
    const Fn fn = (kernels().*entry)[static_cast<int>(dt)];
    if (!fn) throw py::type_error(std::string(op) + ": no kernel for this dtype");
    return fn;
}

}  // namespace pk::bind
