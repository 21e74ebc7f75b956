// pybind11 bindings: NumPy array -> pk::Image, dtype switch, GIL release. No arithmetic:
// shapes, layouts and parameters are normalised and validated in python/pyramidkit.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cmath>
#include <cstdlib>
#include <string>
#include <vector>

#include "pyramidkit/dispatch.hpp"
#include "pyramidkit/kernels.hpp"
#include "pyramidkit/parallel.hpp"

namespace py = pybind11;

namespace {

pk::DType dtype_of(const py::array& a, const char* name) {
    const py::dtype dt = a.dtype();
    const char kind = dt.kind();
    const auto size = dt.itemsize();
    if (kind == 'u' && size == 1) return pk::DType::u8;
    if (kind == 'u' && size == 2) return pk::DType::u16;
    if (kind == 'i' && size == 2) return pk::DType::i16;
    if (kind == 'f' && size == 2) return pk::DType::f16;
    if (kind == 'f' && size == 4) return pk::DType::f32;
    if (kind == 'f' && size == 8) return pk::DType::f64;
    throw py::type_error(std::string(name) + ": unsupported dtype " + std::string(py::str(dt)));
}

// A 5-D (n0, n1, H, W, C) array whose pixels are contiguous within a row.
pk::Image image_of(const py::array& a, const char* name, bool writeable) {
    if (a.ndim() != 5) throw py::value_error(std::string(name) + ": expected a 5-D plane view");
    if (writeable && !a.writeable()) throw py::value_error(std::string(name) + ": array is read-only");
    const auto item = a.itemsize();
    if ((a.shape(4) > 1 && a.strides(4) != item) || (a.shape(3) > 1 && a.strides(3) != a.shape(4) * item))
        throw py::value_error(std::string(name) + ": pixels must be contiguous within a row");
    pk::Image im;
    im.data = static_cast<char*>(const_cast<void*>(a.data()));
    im.n0 = a.shape(0); im.n1 = a.shape(1); im.h = a.shape(2); im.w = a.shape(3); im.cn = a.shape(4);
    im.s0 = a.strides(0); im.s1 = a.strides(1); im.sh = a.strides(2);
    return im;
}

pk::BorderSpec border_of(int border, double value) {
    if (border < 0 || border > 4) throw py::value_error("border: unknown border code");
    return pk::BorderSpec{static_cast<pk::Border>(border), value};
}

template <pk::PyrFn (pk::KernelTable::*Field)[pk::kNumDTypes]>
void run_pyr(const py::array& src, const py::array& dst, int border, double value, int nthreads, bool fresh) {
    const pk::DType dt = dtype_of(src, "src");
    if (dtype_of(dst, "dst") != dt) throw py::type_error("dst: dtype differs from src");
    const pk::Image s = image_of(src, "src", false);
    pk::Image d = image_of(dst, "dst", true);
    d.fresh = fresh;
    if (s.planes() != d.planes() || s.cn != d.cn || s.h < 1 || s.w < 1 || d.h < 1 || d.w < 1)
        throw py::value_error("src/dst: plane counts, channels or sizes do not match");
    const pk::BorderSpec b = border_of(border, value);
    const pk::PyrFn fn = (pk::kernels().*Field)[static_cast<int>(dt)];
    py::gil_scoped_release release;
    fn(s, d, b, nthreads);
}

// Laplacian band dtype of an image dtype (see BandOf in kernels/pyramid.cpp).
char band_kind_size(pk::DType dt, int& size) {
    switch (dt) {
        case pk::DType::u8: size = 2; return 'i';
        case pk::DType::u16: case pk::DType::i16: size = 4; return 'i';
        case pk::DType::f16: case pk::DType::f32: size = 4; return 'f';
        default: size = 8; return 'f';
    }
}

void check_band(const py::array& a, pk::DType dt) {
    int size = 0;
    const char kind = band_kind_size(dt, size);
    if (a.dtype().kind() != kind || a.dtype().itemsize() != size)
        throw py::type_error("bands: dtype " + std::string(py::str(a.dtype())) + " is not the band dtype of the image");
}

std::vector<pk::Image> images_of(const std::vector<py::array>& arrays, pk::DType dt, const pk::Image& like,
                                 const char* name, bool writeable, bool band = false) {
    std::vector<pk::Image> out;
    for (const auto& a : arrays) {
        if (band) check_band(a, dt);
        else if (dtype_of(a, name) != dt) throw py::type_error(std::string(name) + ": dtype differs from the image");
        pk::Image im = image_of(a, name, writeable);
        if (im.planes() != like.planes() || im.cn != like.cn || im.h < 1 || im.w < 1)
            throw py::value_error(std::string(name) + ": plane counts or channels do not match the image");
        out.push_back(im);
    }
    return out;
}

void check_level_sizes(const pk::Image& src, const std::vector<pk::Image>& lev) {
    int64_t h = src.h, w = src.w;
    for (const auto& l : lev) {
        h = (h + 1) / 2; w = (w + 1) / 2;
        if (l.h != h || l.w != w) throw py::value_error("levels: sizes do not follow the pyr_down rule");
    }
}

void run_gaussian_pyramid(const py::array& src, const std::vector<py::array>& levels, int border, double value,
                          int nthreads) {
    const pk::DType dt = dtype_of(src, "src");
    const pk::Image s = image_of(src, "src", false);
    const auto lev = images_of(levels, dt, s, "levels", true);
    check_level_sizes(s, lev);
    const pk::BorderSpec b = border_of(border, value);
    const auto fn = pk::kernels().gaussian_pyramid[static_cast<int>(dt)];
    py::gil_scoped_release release;
    if (!lev.empty()) fn(s, lev.data(), (int)lev.size(), b, nthreads);
}

void run_laplacian_pyramid(const py::array& src, const std::vector<py::array>& gauss,
                           const std::vector<py::array>& bands, int border, double value, int nthreads,
                           bool fresh) {
    const pk::DType dt = dtype_of(src, "src");
    const pk::Image s = image_of(src, "src", false);
    const auto g = images_of(gauss, dt, s, "gauss", true);
    auto l = images_of(bands, dt, s, "bands", true, true);
    for (auto& band : l) band.fresh = fresh;
    check_level_sizes(s, g);
    if (l.size() != g.size()) throw py::value_error("bands: one band per level below the coarsest");
    for (size_t i = 0; i < l.size(); ++i) {
        const pk::Image& fine = i == 0 ? s : g[i - 1];
        if (l[i].h != fine.h || l[i].w != fine.w) throw py::value_error("bands: size differs from its level");
    }
    const pk::BorderSpec b = border_of(border, value);
    const auto& k = pk::kernels();
    const int d = static_cast<int>(dt);
    py::gil_scoped_release release;
    if (g.empty()) return;
    k.gaussian_pyramid[d](s, g.data(), (int)g.size(), b, nthreads);
    for (size_t i = 0; i < l.size(); ++i) k.laplacian_sub[d](g[i], i == 0 ? s : g[i - 1], l[i], b, nthreads);
}

// fine[i] = bands[i] + pyr_up(fine[i+1]), fine[L] = coarsest, for i = L-1 .. 0.
void run_reconstruct_laplacian(const std::vector<py::array>& bands, const py::array& coarsest,
                               const std::vector<py::array>& fine, int border, double value, int nthreads,
                               bool fresh) {
    const pk::DType dt = dtype_of(coarsest, "coarsest");
    const pk::Image c = image_of(coarsest, "coarsest", false);
    const auto l = images_of(bands, dt, c, "bands", false, true);
    auto f = images_of(fine, dt, c, "fine", true);
    if (!f.empty()) f[0].fresh = fresh;  // the result; the others are reused workspace
    if (l.size() != f.size()) throw py::value_error("fine: one output per band");
    for (size_t i = 0; i < l.size(); ++i) {
        const pk::Image& up = i + 1 == l.size() ? c : f[i + 1];
        if (f[i].h != l[i].h || f[i].w != l[i].w || std::abs(f[i].h - 2 * up.h) > f[i].h % 2 ||
            std::abs(f[i].w - 2 * up.w) > f[i].w % 2)
            throw py::value_error("bands: sizes do not form a Laplacian pyramid (each level the pyr_down size of the one above)");
    }
    const pk::BorderSpec b = border_of(border, value);
    const auto& k = pk::kernels();
    const int d = static_cast<int>(dt);
    py::gil_scoped_release release;
    for (size_t j = l.size(); j-- > 0;) k.laplacian_add[d](j + 1 == l.size() ? c : f[j + 1], l[j], f[j], b, nthreads);
}

// A kernel's weights: odd count, symmetric; with shift > 0 integers >= 0 summing to 2^(shift/2).
void check_blur_kernel(const std::vector<double>& k, int shift) {
    const size_t n = k.size();
    if (n % 2 != 1 || n > (1u << 20)) throw py::value_error("ksize: kernel lengths must be odd");
    double sum = 0;
    for (size_t i = 0; i < n; ++i) {
        if (k[i] != k[n - 1 - i] || !std::isfinite(k[i])) throw py::value_error("kernel: must be finite and symmetric");
        if (shift > 0 && (k[i] < 0 || k[i] != std::floor(k[i])))
            throw py::value_error("kernel: fixed-point weights must be integers >= 0");
        sum += k[i];
    }
    if (shift > 0 && sum != std::ldexp(1.0, shift / 2))
        throw py::value_error("kernel: fixed-point weights must sum to 2^(shift/2)");
}

void run_gaussian_blur(const py::array& src, const py::array& dst, const std::vector<double>& ky,
                       const std::vector<double>& kx, int shift, int border, double value, int nthreads) {
    const pk::DType dt = dtype_of(src, "src");
    if (dtype_of(dst, "dst") != dt) throw py::type_error("dst: dtype differs from src");
    const pk::Image s = image_of(src, "src", false), d = image_of(dst, "dst", true);
    if (s.planes() != d.planes() || s.cn != d.cn || s.h != d.h || s.w != d.w || s.h < 1 || s.w < 1)
        throw py::value_error("src/dst: shapes differ");
    // uint8 / uint16 run on OpenCV's fixed-point kernels only (blur.cpp relies on it).
    if (shift != (dt == pk::DType::u8 ? 16 : dt == pk::DType::u16 ? 32 : 0))
        throw py::value_error("shift: 16 for uint8, 32 for uint16, else 0");
    check_blur_kernel(ky, shift);
    check_blur_kernel(kx, shift);
    const pk::BorderSpec b = border_of(border, value);
    const auto fn = pk::kernels().gaussian_blur[static_cast<int>(dt)];
    py::gil_scoped_release release;
    fn(s, d, ky.data(), (int)ky.size(), kx.data(), (int)kx.size(), shift, b, nthreads);
}

// One axis's tap table: (out, k) int32 indices in [0, in) and (out, k) float64 weights.
int check_taps(const py::array_t<int32_t, py::array::c_style | py::array::forcecast>& idx,
               const py::array_t<double, py::array::c_style | py::array::forcecast>& w, int64_t out, int64_t in,
               const char* name) {
    if (idx.ndim() != 2 || w.ndim() != 2 || idx.shape(0) != out || w.shape(0) != out || idx.shape(1) != w.shape(1) ||
        idx.shape(1) < 1 || idx.shape(1) > 4096)
        throw py::value_error(std::string(name) + ": tap tables must be (output size, taps), 1 to 4096 taps");
    const int32_t* p = idx.data();
    for (int64_t i = 0; i < idx.size(); ++i)
        if (p[i] < 0 || p[i] >= in) throw py::value_error(std::string(name) + ": tap index out of range");
    return (int)idx.shape(1);
}

void run_resample(const py::array& src, const py::array& dst,
                  const py::array_t<int32_t, py::array::c_style | py::array::forcecast>& iy,
                  const py::array_t<double, py::array::c_style | py::array::forcecast>& wy,
                  const py::array_t<int32_t, py::array::c_style | py::array::forcecast>& ix,
                  const py::array_t<double, py::array::c_style | py::array::forcecast>& wx, int nthreads, bool fresh,
                  int64_t whole_bytes) {
    const pk::DType dt = dtype_of(src, "src");
    if (dtype_of(dst, "dst") != dt) throw py::type_error("dst: dtype differs from src");
    const pk::Image s = image_of(src, "src", false);
    pk::Image d = image_of(dst, "dst", true);
    d.fresh = fresh;
    d.whole_bytes = whole_bytes;
    if (s.planes() != d.planes() || s.cn != d.cn || s.h < 1 || s.w < 1 || d.h < 1 || d.w < 1)
        throw py::value_error("src/dst: plane counts, channels or sizes do not match");
    const int ky = check_taps(iy, wy, d.h, s.h, "rows"), kx = check_taps(ix, wx, d.w, s.w, "columns");
    const auto fn = pk::kernels().resample[static_cast<int>(dt)];
    py::gil_scoped_release release;
    fn(s, d, iy.data(), wy.data(), ky, ix.data(), wx.data(), kx, nthreads);
}

// Element strides of a's first k axes; its last axis must be unit-stride.
void strides_of(const py::array& a, const char* name, int k, int64_t* out) {
    const auto item = a.itemsize();
    if (a.shape(a.ndim() - 1) > 1 && a.strides(a.ndim() - 1) != item)
        throw py::value_error(std::string(name) + ": the last axis must be contiguous");
    for (int i = 0; i < k; ++i) {
        if (a.strides(i) % item) throw py::value_error(std::string(name) + ": strides must be whole elements");
        out[i] = a.strides(i) / item;
    }
}

void run_conv_transpose2d(const py::array& x, const py::array& weight, const py::object& bias, py::array out,
                          const std::vector<int64_t>& stride, const std::vector<int64_t>& padding,
                          const std::vector<int64_t>& dilation, int64_t groups, int nthreads) {
    const pk::DType dt = dtype_of(x, "x");
    if (dt != pk::DType::f32 && dt != pk::DType::f64) throw py::type_error("x: expected float32 or float64");
    if (dtype_of(weight, "weight") != dt || dtype_of(out, "out") != dt)
        throw py::type_error("weight/out: dtype differs from x");
    if (x.ndim() != 4 || weight.ndim() != 4 || out.ndim() != 4 || !(weight.flags() & py::array::c_style) ||
        !out.writeable())
        throw py::value_error("x/weight/out: expected 4-D arrays, weight C-contiguous, out writeable");
    if (stride.size() != 2 || padding.size() != 2 || dilation.size() != 2)
        throw py::value_error("stride/padding/dilation: expected pairs");
    pk::ConvTransposeSpec g;
    g.n = x.shape(0); g.c_in = x.shape(1); g.h = x.shape(2); g.w = x.shape(3); g.groups = groups;
    g.c_out = out.shape(1); g.ho = out.shape(2); g.wo = out.shape(3);
    g.kh = weight.shape(2); g.kw = weight.shape(3);
    g.sh = stride[0]; g.sw = stride[1]; g.ph = padding[0]; g.pw = padding[1]; g.dh = dilation[0]; g.dw = dilation[1];
    if (g.kh < 1 || g.kw < 1 || g.sh < 1 || g.sw < 1 || g.dh < 1 || g.dw < 1 || g.ph < 0 || g.pw < 0)
        throw py::value_error("kernel/stride/dilation must be positive, padding non-negative");
    if (groups < 1 || g.c_in < 1 || g.h < 1 || g.w < 1 || g.c_in % groups || weight.shape(0) != g.c_in ||
        weight.shape(1) < 1 || out.shape(0) != g.n || g.c_out != weight.shape(1) * groups || g.ho < 1 || g.wo < 1)
        throw py::value_error("x/weight/groups/out: shapes do not match");
    strides_of(x, "x", 3, g.xs);
    strides_of(out, "out", 3, g.os);
    const void* b = nullptr;
    if (!bias.is_none()) {
        const py::array ba = bias.cast<py::array>();
        if (dtype_of(ba, "bias") != dt) throw py::type_error("bias: dtype differs from x");
        if (ba.ndim() != 1 || ba.shape(0) != g.c_out || (g.c_out > 1 && ba.strides(0) != ba.itemsize()))
            throw py::value_error("bias: expected c_out contiguous values");
        b = ba.data();
    }
    const auto fn = pk::kernels().conv_transpose2d[static_cast<int>(dt)];
    py::gil_scoped_release release;
    if (g.n > 0) fn(x.data(), weight.data(), b, out.mutable_data(), g, nthreads);
}

using IntTable = py::array_t<int32_t, py::array::c_style | py::array::forcecast>;
using I64Table = py::array_t<int64_t, py::array::c_style | py::array::forcecast>;

// One axis of pooling windows: every tap start + j*dil (j < count) must lie in [0, n).
pk::PoolAxis pool_axis(const IntTable& start, const IntTable& count, int64_t dil, int64_t stride, int64_t taps,
                       int64_t n_out, int64_t n_in, const char* name) {
    if (start.ndim() != 1 || count.ndim() != 1 || start.shape(0) != n_out || count.shape(0) != n_out || dil < 1)
        throw py::value_error(std::string(name) + ": window tables do not match the output size");
    const int32_t* s = start.data();
    const int32_t* c = count.data();
    for (int64_t o = 0; o < n_out; ++o)
        if (s[o] < 0 || c[o] < 1 || s[o] + (int64_t)(c[o] - 1) * dil >= n_in)
            throw py::value_error(std::string(name) + ": a window reaches outside the input");
    pk::PoolAxis a;
    a.start = s; a.count = c; a.dil = dil; a.stride = stride; a.taps = taps;
    return a;
}

void run_pool(const py::array& src, const py::array& dst, const py::object& idx, const IntTable& ystart,
              const IntTable& ycount, int64_t ydil, int64_t ystride, int64_t ytaps, const IntTable& xstart,
              const IntTable& xcount, int64_t xdil, int64_t xstride, int64_t xtaps, bool avg, const I64Table& fy,
              const I64Table& fx, int64_t divisor, int nthreads) {
    const pk::DType dt = dtype_of(src, "src");
    if (dtype_of(dst, "dst") != dt) throw py::type_error("dst: dtype differs from src");
    if (avg && (dt == pk::DType::u8 || dt == pk::DType::u16 || dt == pk::DType::i16))
        throw py::type_error("src: average pooling needs a floating dtype");
    const pk::Image s = image_of(src, "src", false), d = image_of(dst, "dst", true);
    if (s.planes() != d.planes() || s.cn != d.cn || s.h < 1 || s.w < 1 || d.h < 1 || d.w < 1)
        throw py::value_error("src/dst: plane counts, channels or sizes do not match");
    const pk::PoolAxis ay = pool_axis(ystart, ycount, ydil, ystride, ytaps, d.h, s.h, "rows");
    const pk::PoolAxis ax = pool_axis(xstart, xcount, xdil, xstride, xtaps, d.w, s.w, "columns");
    if (avg && divisor <= 0 && (fy.ndim() != 1 || fx.ndim() != 1 || fy.shape(0) != d.h || fx.shape(0) != d.w))
        throw py::value_error("fy/fx: divisor tables do not match the output size");
    pk::Image ix;
    const pk::Image* ip = nullptr;
    if (!idx.is_none()) {
        const py::array ia = idx.cast<py::array>();
        if (ia.dtype().kind() != 'i' || ia.itemsize() != 8) throw py::type_error("idx: expected int64");
        ix = image_of(ia, "idx", true);
        if (ix.planes() != d.planes() || ix.h != d.h || ix.w != d.w || ix.cn != d.cn)
            throw py::value_error("idx: shape differs from dst");
        ip = &ix;
    }
    const auto fn = pk::kernels().pool[static_cast<int>(dt)];
    const int64_t* fyp = fy.data();
    const int64_t* fxp = fx.data();
    py::gil_scoped_release release;
    fn(s, d, ip, ay, ax, avg, fyp, fxp, divisor, nthreads);
}

int64_t run_max_unpool2d(const py::array& src, const py::array& idx, const py::array& dst, int nthreads) {
    const pk::DType dt = dtype_of(src, "src");
    if (dtype_of(dst, "dst") != dt) throw py::type_error("dst: dtype differs from src");
    if (idx.dtype().kind() != 'i' || idx.itemsize() != 8) throw py::type_error("indices: expected int64");
    const pk::Image s = image_of(src, "src", false), k = image_of(idx, "indices", false), d = image_of(dst, "dst", true);
    if (s.planes() != d.planes() || s.cn != d.cn || k.planes() != s.planes() || k.h != s.h || k.w != s.w ||
        k.cn != s.cn || d.h < 1 || d.w < 1)
        throw py::value_error("src/indices/dst: shapes do not match");
    const auto fn = pk::kernels().max_unpool2d[static_cast<int>(dt)];
    py::gil_scoped_release release;
    return fn(s, k, d, nthreads);
}

}  // namespace

PYBIND11_MODULE(_core, m) {
    m.doc() = "pyramidkit native kernels (use the pyramidkit package, not this module)";
    pk::install_fork_handler();

    // fresh: dst was just allocated by the caller (see Image::fresh).
    m.def("pyr_down", &run_pyr<&pk::KernelTable::pyr_down>, py::arg("src"), py::arg("dst"),
          py::arg("border"), py::arg("value"), py::arg("nthreads"), py::arg("fresh") = false);
    m.def("pyr_up", &run_pyr<&pk::KernelTable::pyr_up>, py::arg("src"), py::arg("dst"),
          py::arg("border"), py::arg("value"), py::arg("nthreads"), py::arg("fresh") = false);

    m.def("gaussian_pyramid", &run_gaussian_pyramid, py::arg("src"), py::arg("levels"), py::arg("border"),
          py::arg("value"), py::arg("nthreads"));
    m.def("laplacian_pyramid", &run_laplacian_pyramid, py::arg("src"), py::arg("gauss"), py::arg("bands"),
          py::arg("border"), py::arg("value"), py::arg("nthreads"), py::arg("fresh") = false);
    m.def("reconstruct_laplacian", &run_reconstruct_laplacian, py::arg("bands"), py::arg("coarsest"),
          py::arg("fine"), py::arg("border"), py::arg("value"), py::arg("nthreads"), py::arg("fresh") = false);

    m.def("gaussian_blur", &run_gaussian_blur, py::arg("src"), py::arg("dst"), py::arg("ky"), py::arg("kx"),
          py::arg("shift"), py::arg("border"), py::arg("value"), py::arg("nthreads"));

    m.def("resample", &run_resample, py::arg("src"), py::arg("dst"), py::arg("iy"), py::arg("wy"), py::arg("ix"),
          py::arg("wx"), py::arg("nthreads"), py::arg("fresh") = false, py::arg("whole_bytes") = 0);

    m.def("conv_transpose2d", &run_conv_transpose2d, py::arg("x"), py::arg("weight"), py::arg("bias"),
          py::arg("out"), py::arg("stride"), py::arg("padding"), py::arg("dilation"), py::arg("groups"),
          py::arg("nthreads"));

    m.def("pool", &run_pool, py::arg("src"), py::arg("dst"), py::arg("idx"), py::arg("ystart"), py::arg("ycount"),
          py::arg("ydil"), py::arg("ystride"), py::arg("ytaps"), py::arg("xstart"), py::arg("xcount"),
          py::arg("xdil"), py::arg("xstride"), py::arg("xtaps"), py::arg("avg"), py::arg("fy"), py::arg("fx"),
          py::arg("divisor"), py::arg("nthreads"));
    m.def("max_unpool2d", &run_max_unpool2d, py::arg("src"), py::arg("indices"), py::arg("dst"),
          py::arg("nthreads"));

    m.def("compiled_isas", &pk::compiled_isas);
    m.def("supported_isas", &pk::supported_isas);
    m.def("active_isa", &pk::active_isa);
    m.def("set_max_isa", [](const std::string& name) {
        if (!pk::set_max_isa(name))
            throw py::value_error("level: unknown ISA level '" + name + "'; accepted: baseline, avx2, avx512");
    });
    m.def("hardware_threads", &pk::hardware_threads);
    m.def("parallel_copy", [](py::array dst, const py::array& src, int nthreads) {
        if (!(dst.flags() & py::array::c_style) || !(src.flags() & py::array::c_style) || !dst.writeable() ||
            dst.nbytes() != src.nbytes())
            throw py::value_error("parallel_copy: needs C-contiguous arrays of equal byte size, dst writeable");
        void* d = dst.mutable_data();
        const void* s = src.data();
        const int64_t n = src.nbytes();
        py::gil_scoped_release release;
        pk::parallel_copy(d, s, n, nthreads);
    }, py::arg("dst"), py::arg("src"), py::arg("nthreads"));
    m.def("in_forked_child", &pk::in_forked_child);
#ifdef PK_HAVE_OPENMP
    m.attr("openmp") = true;
    m.attr("openmp_version") = int(_OPENMP);
#else
    m.attr("openmp") = false;
    m.attr("openmp_version") = 0;
#endif
}
