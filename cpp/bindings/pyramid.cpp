// Bindings of the pyramid family: pyr_down, pyr_up, gaussian_pyramid, laplacian_pyramid,
// reconstruct_laplacian (kernels: cpp/ops/pyramid/).
#include <cstdlib>
#include <vector>

#include "bindings/array.hpp"

namespace pk::bind {
namespace {

// The dst sizes the kernels accept, OpenCV's rules: pyr_down |2 dst - src| <= 2 per axis
// (its border columns cover -2 .. src + 2, no further), pyr_up dst = 2 src or 2 src +- 1.
bool down_size_ok(int64_t s, int64_t d) { return d >= 1 && std::llabs(2 * d - s) <= 2; }
bool up_size_ok(int64_t s, int64_t d) { return d >= 1 && std::llabs(d - 2 * s) == d % 2; }

// pyr_down or pyr_up (Entry), its dst size checked by the op's rule on both axes.
template <PyrFn (KernelTable::*Entry)[kNumDTypes], bool (*SizeOk)(int64_t, int64_t)>
void run_pyr(const py::array& src, const py::array& dst, int border, double value, int nthreads, bool fresh,
             const char* op, const char* rule) {
    const SrcDst io = src_dst(src, dst, fresh);
    if (!SizeOk(io.src.h, io.dst.h) || !SizeOk(io.src.w, io.dst.w))
        throw py::value_error(std::string("dst: size does not follow ") + op + "'s rule " + rule);
    const BorderSpec b = border_of(border, value);
    const auto fn = kernel(Entry, io.dt, op);
    py::gil_scoped_release release;
    fn(io.src, io.dst, b, nthreads);
}

void run_pyr_down(const py::array& src, const py::array& dst, int border, double value, int nthreads, bool fresh) {
    run_pyr<&KernelTable::pyr_down, down_size_ok>(src, dst, border, value, nthreads, fresh, "pyr_down",
                                                  "|2*dst - src| <= 2");
}

void run_pyr_up(const py::array& src, const py::array& dst, int border, double value, int nthreads, bool fresh) {
    run_pyr<&KernelTable::pyr_up, up_size_ok>(src, dst, border, value, nthreads, fresh, "pyr_up",
                                              "dst = 2*src or 2*src +- 1");
}

// Band arrays have Band<T> of the image dtype T (core/dtype.hpp).
void check_band(const py::array& a, DType dt) {
    const char* want = "";
    for_each_dtype([&](auto t) {
        using T = typename decltype(t)::type;
        if (dtype_index<T>() == int(dt)) want = numpy_name<Band<T>>();
    });
    if (std::string(py::str(a.dtype())) != want)
        throw py::type_error("bands: dtype " + std::string(py::str(a.dtype())) + " is not the band dtype of the image");
}

std::vector<Image> images_of(const std::vector<py::array>& arrays, DType dt, const Image& like, const char* name,
                             bool writeable, bool band = false) {
    std::vector<Image> out;
    for (const auto& a : arrays) {
        if (band) check_band(a, dt);
        else check_dtype(a, dt, name);
        Image im = image_of(a, name, writeable);
        if (im.planes() != like.planes() || im.cn != like.cn || im.h < 1 || im.w < 1)
            throw py::value_error(std::string(name) + ": plane counts or channels do not match the image");
        out.push_back(im);
    }
    return out;
}

// Each level the pyr_down size of the one above (the size gaussian_pyramid computes).
void check_level_sizes(const Image& src, const std::vector<Image>& lev) {
    int64_t h = src.h, w = src.w;
    for (const auto& l : lev) {
        h = (h + 1) / 2; w = (w + 1) / 2;
        if (l.h != h || l.w != w) throw py::value_error("levels: sizes do not follow the pyr_down rule");
    }
}

void run_gaussian_pyramid(const py::array& src, const std::vector<py::array>& levels, int border, double value,
                          int nthreads) {
    const DType dt = dtype_of(src, "src");
    const Image s = image_of(src, "src", false);
    const auto lev = images_of(levels, dt, s, "levels", true);
    check_level_sizes(s, lev);
    const BorderSpec b = border_of(border, value);
    const auto fn = kernel(&KernelTable::gaussian_pyramid, dt, "gaussian_pyramid");
    py::gil_scoped_release release;
    if (!lev.empty()) fn(s, lev.data(), (int)lev.size(), b, nthreads);
}

void run_laplacian_pyramid(const py::array& src, const std::vector<py::array>& gauss,
                           const std::vector<py::array>& bands, int border, double value, int nthreads, bool fresh) {
    const DType dt = dtype_of(src, "src");
    const Image s = image_of(src, "src", false);
    const auto g = images_of(gauss, dt, s, "gauss", true);
    auto l = images_of(bands, dt, s, "bands", true, true);
    for (auto& band : l) band.fresh = fresh;
    check_level_sizes(s, g);
    if (l.size() != g.size()) throw py::value_error("bands: one band per level below the coarsest");
    for (size_t i = 0; i < l.size(); ++i) {
        const Image& fine = i == 0 ? s : g[i - 1];
        if (l[i].h != fine.h || l[i].w != fine.w) throw py::value_error("bands: size differs from its level");
    }
    const BorderSpec b = border_of(border, value);
    const auto down = kernel(&KernelTable::gaussian_pyramid, dt, "laplacian_pyramid");
    const auto sub = kernel(&KernelTable::laplacian_sub, dt, "laplacian_pyramid");
    py::gil_scoped_release release;
    if (g.empty()) return;
    down(s, g.data(), (int)g.size(), b, nthreads);
    for (size_t i = 0; i < l.size(); ++i) sub(g[i], i == 0 ? s : g[i - 1], l[i], b, nthreads);
}

// fine[i] = bands[i] + pyr_up(fine[i+1]), fine[L] = coarsest, for i = L-1 .. 0.
void run_reconstruct_laplacian(const std::vector<py::array>& bands, const py::array& coarsest,
                               const std::vector<py::array>& fine, int border, double value, int nthreads,
                               bool fresh) {
    const DType dt = dtype_of(coarsest, "coarsest");
    const Image c = image_of(coarsest, "coarsest", false);
    const auto l = images_of(bands, dt, c, "bands", false, true);
    auto f = images_of(fine, dt, c, "fine", true);
    if (!f.empty()) f[0].fresh = fresh;  // the result; the others are reused workspace
    if (l.size() != f.size()) throw py::value_error("fine: one output per band");
    for (size_t i = 0; i < l.size(); ++i) {
        const Image& up = i + 1 == l.size() ? c : f[i + 1];
        if (f[i].h != l[i].h || f[i].w != l[i].w || !up_size_ok(up.h, f[i].h) || !up_size_ok(up.w, f[i].w))
            throw py::value_error("bands: sizes do not form a Laplacian pyramid (each level the pyr_down size of the one above)");
    }
    const BorderSpec b = border_of(border, value);
    const auto add = kernel(&KernelTable::laplacian_add, dt, "reconstruct_laplacian");
    py::gil_scoped_release release;
    for (size_t j = l.size(); j-- > 0;) add(j + 1 == l.size() ? c : f[j + 1], l[j], f[j], b, nthreads);
}

}  // namespace

void bind_pyramid(py::module_& m) {
    // fresh: dst was just allocated by the caller (see Image::fresh).
    m.def("pyr_down", &run_pyr_down, py::arg("src"), py::arg("dst"), py::arg("border"), py::arg("value"),
          py::arg("nthreads"), py::arg("fresh") = false);
    m.def("pyr_up", &run_pyr_up, py::arg("src"), py::arg("dst"), py::arg("border"), py::arg("value"),
          py::arg("nthreads"), py::arg("fresh") = false);
    m.def("gaussian_pyramid", &run_gaussian_pyramid, py::arg("src"), py::arg("levels"), py::arg("border"),
          py::arg("value"), py::arg("nthreads"));
    m.def("laplacian_pyramid", &run_laplacian_pyramid, py::arg("src"), py::arg("gauss"), py::arg("bands"),
          py::arg("border"), py::arg("value"), py::arg("nthreads"), py::arg("fresh") = false);
    m.def("reconstruct_laplacian", &run_reconstruct_laplacian, py::arg("bands"), py::arg("coarsest"),
          py::arg("fine"), py::arg("border"), py::arg("value"), py::arg("nthreads"), py::arg("fresh") = false);
    py::dict band_dtypes;
    for_each_dtype([&](auto t) {
        using T = typename decltype(t)::type;
        band_dtypes[numpy_name<T>()] = numpy_name<Band<T>>();
    });
    m.attr("BAND_DTYPES") = band_dtypes;
}

}  // namespace pk::bind
