// Binding of conv2d (kernel: cpp/ops/conv2d/).
#include "bindings/array.hpp"

namespace pk::bind {
namespace {

void run_conv2d(const py::array& x, const py::array& weight, const py::object& bias, const py::array& out,
                const std::vector<int64_t>& stride, const std::vector<int64_t>& padding,
                const std::vector<int64_t>& dilation, int64_t groups, int nthreads) {
    const ConvArgs a = conv_args(x, weight, bias, out, stride, padding, dilation, groups, true);
    // The kernels read only taps inside x, whatever the output size; it just has to exist.
    const Image &xi = a.x, &oi = a.out;
    const int64_t c_in = xi.n1 * xi.cn, c_out = oi.n1 * oi.cn;
    if (groups < 1 || c_in < 1 || xi.h < 1 || xi.w < 1 || c_in % groups || weight.shape(1) * groups != c_in ||
        weight.shape(0) != c_out || c_out % groups || oi.n0 != xi.n0 || oi.h < 1 || oi.w < 1)
        throw py::value_error("x/weight/groups/out: shapes do not match");
    const auto fn = kernel(&KernelTable::conv2d, a.dt, "conv2d");
    py::gil_scoped_release release;
    if (xi.n0 > 0) fn(xi, a.w, a.b, oi, a.spec, nthreads);
}

}  // namespace

void bind_conv2d(py::module_& m) {
    m.def("conv2d", &run_conv2d, py::arg("x"), py::arg("weight"), py::arg("bias"), py::arg("out"), py::arg("stride"),
          py::arg("padding"), py::arg("dilation"), py::arg("groups"), py::arg("nthreads"));
    m.def("fma_peak", [](const std::string& dtype, int64_t iterations, int nthreads) {
        const DType dt = dtype == "float32" ? DType::f32 : dtype == "float64" ? DType::f64 : DType::u8;
        if (dt == DType::u8) throw py::value_error("fma_peak: dtype must be 'float32' or 'float64'");
        if (iterations < 1) throw py::value_error("fma_peak: iterations must be >= 1");
        const auto fn = kernel(&KernelTable::fma_peak, dt, "fma_peak");
        py::gil_scoped_release release;
        return fn(iterations, nthreads);
    }, py::arg("dtype"), py::arg("iterations"), py::arg("nthreads"));
}

}  // namespace pk::bind
