// Binding of conv2d (kernel: cpp/ops/conv2d/).
#include "bindings/array.hpp"

namespace pk::bind {
namespace {

void run_conv2d(const py::array& x, const py::array& weight, const py::object& bias, const py::array& out,
                const std::vector<int64_t>& stride, const std::vector<int64_t>& padding,
                const std::vector<int64_t>& dilation, int64_t groups, int nthreads) {
    const DType dt = dtype_of(x, "x");
    if (dt != DType::f32 && dt != DType::f64) throw py::type_error("x: expected float32 or float64");
    check_dtype(weight, dt, "weight");
    check_dtype(out, dt, "out");
    if (weight.ndim() != 4 || !(weight.flags() & py::array::c_style))
        throw py::value_error("weight: expected a C-contiguous 4-D array");
    if (stride.size() != 2 || padding.size() != 2 || dilation.size() != 2)
        throw py::value_error("stride/padding/dilation: expected pairs");
    const Image xi = feature_map(x, "x", false, true), oi = feature_map(out, "out", true, true);
    ConvSpec g;
    g.groups = groups;
    g.kh = weight.shape(2); g.kw = weight.shape(3);
    g.sh = stride[0]; g.sw = stride[1]; g.ph = padding[0]; g.pw = padding[1]; g.dh = dilation[0]; g.dw = dilation[1];
    if (g.kh < 1 || g.kw < 1 || g.sh < 1 || g.sw < 1 || g.dh < 1 || g.dw < 1 || g.ph < 0 || g.pw < 0)
        throw py::value_error("kernel/stride/dilation must be positive, padding (top, left) non-negative");
    // The kernels read only taps inside x, whatever the output size; it just has to exist.
    const int64_t c_in = xi.n1 * xi.cn, c_out = oi.n1 * oi.cn;
    if (groups < 1 || c_in < 1 || xi.h < 1 || xi.w < 1 || c_in % groups || weight.shape(1) * groups != c_in ||
        weight.shape(0) != c_out || c_out % groups || oi.n0 != xi.n0 || oi.h < 1 || oi.w < 1)
        throw py::value_error("x/weight/groups/out: shapes do not match");
    const void* b = nullptr;
    if (!bias.is_none()) {
        const py::array ba = bias.cast<py::array>();
        check_dtype(ba, dt, "bias");
        if (ba.ndim() != 1 || ba.shape(0) != c_out || (c_out > 1 && ba.strides(0) != ba.itemsize()))
            throw py::value_error("bias: expected c_out contiguous values");
        b = ba.data();
    }
    const auto fn = kernel(&KernelTable::conv2d, dt, "conv2d");
    const void* w = weight.data();
    py::gil_scoped_release release;
    if (xi.n0 > 0) fn(xi, w, b, oi, g, nthreads);
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
