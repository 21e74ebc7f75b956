// Binding of gaussian_blur (kernel: cpp/ops/blur/).
#include <cmath>

#include "bindings/array.hpp"

namespace pk::bind {
namespace {

using Taps = py::array_t<double, py::array::c_style | py::array::forcecast>;

// A kernel's weights: odd count, symmetric; with shift > 0 integers >= 0 summing to 2^(shift/2).
void check_blur_kernel(const Taps& k, int shift, const char* name) {
    if (k.ndim() != 1 || k.shape(0) % 2 != 1 || k.shape(0) > (1 << 20))
        throw py::value_error(std::string(name) + ": kernel lengths must be odd");
    const double* p = k.data();
    const int64_t n = k.shape(0);
    double sum = 0;
    for (int64_t i = 0; i < n; ++i) {
        if (p[i] != p[n - 1 - i] || !std::isfinite(p[i]))
            throw py::value_error(std::string(name) + ": kernel must be finite and symmetric");
        if (shift > 0 && (p[i] < 0 || p[i] != std::floor(p[i])))
            throw py::value_error(std::string(name) + ": fixed-point weights must be integers >= 0");
        sum += p[i];
    }
    if (shift > 0 && sum != std::ldexp(1.0, shift / 2))
        throw py::value_error(std::string(name) + ": fixed-point weights must sum to 2^(shift/2)");
}

void run_gaussian_blur(const py::array& src, const py::array& dst, const Taps& ky, const Taps& kx, int shift,
                       int border, double value, int nthreads, bool fresh) {
    const auto [dt, s, d] = src_dst(src, dst, fresh);
    if (s.h != d.h || s.w != d.w) throw py::value_error("src/dst: shapes differ");
    // uint8 / uint16 run on OpenCV's fixed-point kernels only (gaussian_blur.cpp relies on it).
    if (shift != (dt == DType::u8 ? 16 : dt == DType::u16 ? 32 : 0))
        throw py::value_error("shift: 16 for uint8, 32 for uint16, else 0");
    check_blur_kernel(ky, shift, "ky");
    check_blur_kernel(kx, shift, "kx");
    const BorderSpec b = border_of(border, value);
    const auto fn = kernel(&KernelTable::gaussian_blur, dt, "gaussian_blur");
    py::gil_scoped_release release;
    fn(s, d, ky.data(), (int)ky.shape(0), kx.data(), (int)kx.shape(0), shift, b, nthreads);
}

}  // namespace

void bind_blur(py::module_& m) {
    m.def("gaussian_blur", &run_gaussian_blur, py::arg("src"), py::arg("dst"), py::arg("ky"), py::arg("kx"),
          py::arg("shift"), py::arg("border"), py::arg("value"), py::arg("nthreads"), py::arg("fresh") = false);
}

}  // namespace pk::bind
