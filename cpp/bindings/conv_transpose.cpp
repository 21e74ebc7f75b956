// Binding of conv_transpose2d (kernel: cpp/ops/conv_transpose/).
#include "bindings/array.hpp"

namespace pk::bind {
namespace {

void run_conv_transpose2d(const py::array& x, const py::array& weight, const py::object& bias, const py::array& out,
                          const std::vector<int64_t>& stride, const std::vector<int64_t>& padding,
                          const std::vector<int64_t>& dilation, int64_t groups, int nthreads) {
    const ConvArgs a = conv_args(x, weight, bias, out, stride, padding, dilation, groups, false);
    const Image &xi = a.x, &oi = a.out;
    const ConvSpec& g = a.spec;
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
    const auto fn = kernel(&KernelTable::conv_transpose2d, a.dt, "conv_transpose2d");
    py::gil_scoped_release release;
    if (xi.n0 > 0) fn(xi, a.w, a.b, oi, g, nthreads);
}

}  // namespace

void bind_conv_transpose(py::module_& m) {
    m.def("conv_transpose2d", &run_conv_transpose2d, py::arg("x"), py::arg("weight"), py::arg("bias"),
          py::arg("out"), py::arg("stride"), py::arg("padding"), py::arg("dilation"), py::arg("groups"),
          py::arg("nthreads"));
}

}  // namespace pk::bind
