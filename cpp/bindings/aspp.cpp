// Binding of aspp (kernel: cpp/ops/aspp/).
#include "bindings/array.hpp"

namespace pk::bind {
namespace {

void run_aspp(const py::array& x, const std::vector<py::array>& weights, const std::vector<py::array>& biases,
              const py::array& proj_weight, const py::array& proj_bias, const py::array& out,
              const std::vector<int64_t>& rates, int nthreads) {
    const DType dt = dtype_of(x, "x");
    if (dt != DType::f32 && dt != DType::f64) throw py::type_error("x: expected float32 or float64");
    check_dtype(out, dt, "out");
    const Image xi = feature_map(x, "x", false, true), oi = feature_map(out, "out", true, true);
    const int64_t c_in = xi.n1 * xi.cn, c_out = oi.n1 * oi.cn, nbr = (int64_t)rates.size() + 1;
    if ((int64_t)weights.size() != nbr || (int64_t)biases.size() != nbr)
        throw py::value_error("weights/biases: expected one per branch (the 1x1, then one per rate)");
    if (c_in < 1 || xi.h < 1 || xi.w < 1 || oi.n0 != xi.n0 || oi.h != xi.h || oi.w != xi.w || c_out < 1)
        throw py::value_error("x/out: shapes do not match");
    std::vector<const void*> wp, bp;
    const int64_t cb = weights[0].ndim() == 4 ? weights[0].shape(0) : 0;
    for (int64_t j = 0; j < nbr; ++j) {
        const py::array& wj = weights[(size_t)j];
        const py::array& bj = biases[(size_t)j];
        check_dtype(wj, dt, "weights");
        check_dtype(bj, dt, "biases");
        const int64_t k = j == 0 ? 1 : 3;
        if (wj.ndim() != 4 || !(wj.flags() & py::array::c_style) || wj.shape(0) != cb || cb < 1 ||
            wj.shape(1) != c_in || wj.shape(2) != k || wj.shape(3) != k)
            throw py::value_error("weights: expected C-contiguous (cb, c_in, 1, 1), then (cb, c_in, 3, 3) per rate");
        if (bj.ndim() != 1 || bj.shape(0) != cb || !(bj.flags() & py::array::c_style))
            throw py::value_error("biases: expected cb contiguous values per branch");
        if (j > 0 && rates[(size_t)(j - 1)] < 1) throw py::value_error("rates: must be >= 1");
        wp.push_back(wj.data());
        bp.push_back(bj.data());
    }
    check_dtype(proj_weight, dt, "proj_weight");
    check_dtype(proj_bias, dt, "proj_bias");
    if (proj_weight.ndim() != 2 || !(proj_weight.flags() & py::array::c_style) || proj_weight.shape(0) != c_out ||
        proj_weight.shape(1) != nbr * cb)
        throw py::value_error("proj_weight: expected C-contiguous (c_out, branches * cb)");
    if (proj_bias.ndim() != 2 || !(proj_bias.flags() & py::array::c_style) || proj_bias.shape(0) != xi.n0 ||
        proj_bias.shape(1) != c_out)
        throw py::value_error("proj_bias: expected C-contiguous (n, c_out)");
    AsppSpec spec;
    spec.nrates = nbr - 1;
    spec.rates = rates.data();
    spec.cb = cb;
    const auto fn = kernel(&KernelTable::aspp, dt, "aspp");
    const void* pw = proj_weight.data();
    const void* pb = proj_bias.data();
    py::gil_scoped_release release;
    if (xi.n0 > 0) fn(xi, wp.data(), bp.data(), pw, pb, oi, spec, nthreads);
}

}  // namespace

void bind_aspp(py::module_& m) {
    m.def("aspp", &run_aspp, py::arg("x"), py::arg("weights"), py::arg("biases"), py::arg("proj_weight"),
          py::arg("proj_bias"), py::arg("out"), py::arg("rates"), py::arg("nthreads"));
}

}  // namespace pk::bind
