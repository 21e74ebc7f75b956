// Binding of conv_transpose2d (kernel: cpp/ops/conv_transpose/).
#include "bindings/array.hpp"

namespace pk::bind {
namespace {

void run_conv_transpose2d(const py::array& x, const py::array& weight, const py::object& bias, const py::array& out,
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
    const Image xi = feature_map(x, "x", false), oi = feature_map(out, "out", true);
    ConvSpec g;
    g.groups = groups;
    g.kh = weight.shape(2); g.kw = weight.shape(3);
    g.sh = stride[0]; g.sw = stride[1]; g.ph = padding[0]; g.pw = padding[1]; g.dh = dilation[0]; g.dw = dilation[1];
    if (g.kh < 1 || g.kw < 1 || g.sh < 1 || g.sw < 1 || g.dh < 1 || g.dw < 1 || g.ph < 0 || g.pw < 0)
        throw py::value_error("kernel/stride/dilation must be positive, padding non-negative");
    // torch's output size: (in - 1) * stride - 2 * pad + dilation * (k - 1) + 1 + output_padding,
    // output_padding < max(stride, dilation); every output element is written.
    auto size_ok = [](int64_t in, int64_t o, int64_t s, int64_t p, int64_t d, int64_t k) {
        const int64_t base = (in - 1) * s - 2 * p + d * (k - 1) + 1;
        return o >= 1 && o >= base && o - base < std::max(s, d);
    };
    if (groups < 1 || xi.n1 < 1 || xi.h < 1 || xi.w < 1 || xi.n1 % groups || weight.shape(0) != xi.n1 ||
        weight.shape(1) < 1 || oi.n0 != xi.n0 || oi.n1 != weight.shape(1) * groups ||
        !size_ok(xi.h, oi.h, g.sh, g.ph, g.dh, g.kh) || !size_ok(xi.w, oi.w, g.sw, g.pw, g.dw, g.kw))
        throw py::value_error("x/weight/groups/out: shapes do not match");
    const void* b = nullptr;
    if (!bias.is_none()) {
        const py::array ba = bias.cast<py::array>();
        check_dtype(ba, dt, "bias");
        if (ba.ndim() != 1 || ba.shape(0) != oi.n1 || (oi.n1 > 1 && ba.strides(0) != ba.itemsize()))
            throw py::value_error("bias: expected c_out contiguous values");
        b = ba.data();
    }
    const auto fn = kernel(&KernelTable::conv_transpose2d, dt, "conv_transpose2d");
    const void* w = weight.data();
    py::gil_scoped_release release;
    if (xi.n0 > 0) fn(xi, w, b, oi, g, nthreads);
}

}  // namespace

void bind_conv_transpose(py::module_& m) {
    m.def("conv_transpose2d", &run_conv_transpose2d, py::arg("x"), py::arg("weight"), py::arg("bias"),
          py::arg("out"), py::arg("stride"), py::arg("padding"), py::arg("dilation"), py::arg("groups"),
          py::arg("nthreads"));
}

}  // namespace pk::bind
