// Binding of downsample (kernel: cpp/ops/downsample/).
#include <algorithm>

#include "bindings/array.hpp"

namespace pk::bind {
namespace {

void run_downsample(const py::array& src, const py::array& dst, int64_t fz, int64_t fy, int64_t fx, bool gaussian,
                    int border, double value, int nthreads, bool fresh) {
    const DType dt = dtype_of(src, "src");
    check_dtype(dst, dt, "dst");
    const Image s = image_of(src, "src", false);
    Image d = image_of(dst, "dst", true);
    d.fresh = fresh;
    if (fz < 1 || fy < 1 || fx < 1 || (gaussian && (fz > 2 || fy > 2 || fx > 2)))
        throw py::value_error("factors: >= 1 (gaussian: 1 or 2)");
    const auto out = [](int64_t n, int64_t f) { return (n + f - 1) / f; };
    if (s.n0 != d.n0 || s.cn != d.cn || s.n1 < 1 || s.h < 1 || s.w < 1 || d.n1 != out(s.n1, fz) ||
        d.h != out(s.h, fy) || d.w != out(s.w, fx))
        throw py::value_error("src/dst: dst must have src's batch and channels and ceil(n / f) per axis");
    // A box longer than its axis is the whole axis (the same output): the kernel's box
    // products and offsets then stay within the image's own sizes. (gaussian factors are
    // at most 2 and not clamped: its filter runs along an axis of factor 2 even of length 1.)
    DownsampleSpec spec;
    spec.gaussian = gaussian;
    spec.fz = gaussian ? fz : std::min(fz, s.n1);
    spec.fy = gaussian ? fy : std::min(fy, s.h);
    spec.fx = gaussian ? fx : std::min(fx, s.w);
    const BorderSpec b = border_of(border, value);
    const auto fn = kernel(&KernelTable::downsample, dt, "downsample");
    py::gil_scoped_release release;
    fn(s, d, spec, b, nthreads);
}

}  // namespace

void bind_downsample(py::module_& m) {
    m.def("downsample", &run_downsample, py::arg("src"), py::arg("dst"), py::arg("fz"), py::arg("fy"), py::arg("fx"),
          py::arg("gaussian"), py::arg("border"), py::arg("value"), py::arg("nthreads"), py::arg("fresh") = false);
}

}  // namespace pk::bind
