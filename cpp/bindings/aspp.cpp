// Binding of aspp and aspp_pack (kernel: cpp/ops/aspp/).
#include "bindings/array.hpp"
#include "core/dispatch.hpp"

namespace pk::bind {
namespace {

// Weights packed by aspp_pack for one ISA level and dtype, and what they were packed for.
struct AsppPacked {
    std::shared_ptr<void> data;
    std::string isa;
    DType dt = DType::f32;
    int64_t cin = 0, cb = 0, cout = 0;
    std::vector<int64_t> rates;
};

// The checked weights of a head: pointers, and (cin, cb, cout).
struct AsppParams {
    std::vector<const void*> w, b;
    const void* pw = nullptr;
    int64_t cin = 0, cb = 0, cout = 0;
};

AsppParams aspp_params(DType dt, int64_t c_in, const std::vector<py::array>& weights,
                       const std::vector<py::array>& biases, const py::array& proj_weight,
                       const std::vector<int64_t>& rates) {
    AsppParams p;
    const int64_t nbr = (int64_t)rates.size() + 1;
    if ((int64_t)weights.size() != nbr || (int64_t)biases.size() != nbr)
        throw py::value_error("weights/biases: expected one per branch (the 1x1, then one per rate)");
    p.cin = c_in;
    p.cb = weights[0].ndim() == 4 ? weights[0].shape(0) : 0;
    for (int64_t j = 0; j < nbr; ++j) {
        const py::array& wj = weights[(size_t)j];
        const py::array& bj = biases[(size_t)j];
        check_dtype(wj, dt, "weights");
        check_dtype(bj, dt, "biases");
        const int64_t k = j == 0 ? 1 : 3;
        if (wj.ndim() != 4 || !(wj.flags() & py::array::c_style) || wj.shape(0) != p.cb || p.cb < 1 ||
            wj.shape(1) != c_in || wj.shape(2) != k || wj.shape(3) != k)
            throw py::value_error("weights: expected C-contiguous (cb, c_in, 1, 1), then (cb, c_in, 3, 3) per rate");
        if (bj.ndim() != 1 || bj.shape(0) != p.cb || !(bj.flags() & py::array::c_style))
            throw py::value_error("biases: expected cb contiguous values per branch");
        if (j > 0 && rates[(size_t)(j - 1)] < 1) throw py::value_error("rates: must be >= 1");
        p.w.push_back(wj.data());
        p.b.push_back(bj.data());
    }
    check_dtype(proj_weight, dt, "proj_weight");
    if (proj_weight.ndim() != 2 || !(proj_weight.flags() & py::array::c_style) || proj_weight.shape(1) != nbr * p.cb ||
        proj_weight.shape(0) < 1)
        throw py::value_error("proj_weight: expected C-contiguous (c_out, branches * cb)");
    p.cout = proj_weight.shape(0);
    p.pw = proj_weight.data();
    return p;
}

std::shared_ptr<AsppPacked> run_aspp_pack(const std::string& dtype, int64_t c_in,
                                          const std::vector<py::array>& weights,
                                          const std::vector<py::array>& biases, const py::array& proj_weight,
                                          const std::vector<int64_t>& rates, int nthreads) {
    const DType dt = dtype == "float32" ? DType::f32 : dtype == "float64" ? DType::f64 : DType::u8;
    if (dt == DType::u8) throw py::type_error("dtype: expected 'float32' or 'float64'");
    if (c_in < 1) throw py::value_error("c_in: must be >= 1");
    const AsppParams p = aspp_params(dt, c_in, weights, biases, proj_weight, rates);
    auto r = std::make_shared<AsppPacked>();
    r->isa = active_isa();
    r->dt = dt;
    r->cin = p.cin; r->cb = p.cb; r->cout = p.cout;
    r->rates = rates;
    AsppSpec spec;
    spec.nrates = (int64_t)rates.size();
    spec.rates = r->rates.data();
    spec.cb = p.cb;
    const auto fn = kernel(&KernelTable::aspp_pack, dt, "aspp_pack");
    py::gil_scoped_release release;
    r->data = fn(p.w.data(), p.b.data(), p.pw, p.cin, p.cout, spec, nthreads);
    return r;
}

void run_aspp(const py::array& x, const std::vector<py::array>& weights, const std::vector<py::array>& biases,
              const py::array& proj_weight, const py::array& proj_bias, const py::array& out,
              const std::vector<int64_t>& rates, int nthreads, const std::shared_ptr<AsppPacked>& packed) {
    const DType dt = dtype_of(x, "x");
    if (dt != DType::f32 && dt != DType::f64) throw py::type_error("x: expected float32 or float64");
    check_dtype(out, dt, "out");
    const Image xi = feature_map(x, "x", false, true), oi = feature_map(out, "out", true, true);
    const int64_t c_in = xi.n1 * xi.cn, c_out = oi.n1 * oi.cn;
    if (c_in < 1 || xi.h < 1 || xi.w < 1 || oi.n0 != xi.n0 || oi.h != xi.h || oi.w != xi.w || c_out < 1)
        throw py::value_error("x/out: shapes do not match");
    AsppParams p;
    if (packed) {  // packed for this level, dtype and shapes, or refused
        if (packed->isa != active_isa() || packed->dt != dt || packed->cin != c_in || packed->cout != c_out ||
            packed->rates != rates)
            throw py::value_error("packed: packed for another ISA level, dtype or shape");
        p.cb = packed->cb;
        p.cout = packed->cout;
    } else {
        p = aspp_params(dt, c_in, weights, biases, proj_weight, rates);
        if (p.cout != c_out) throw py::value_error("proj_weight/out: channel counts do not match");
    }
    check_dtype(proj_bias, dt, "proj_bias");
    if (proj_bias.ndim() != 2 || !(proj_bias.flags() & py::array::c_style) || proj_bias.shape(0) != xi.n0 ||
        proj_bias.shape(1) != c_out)
        throw py::value_error("proj_bias: expected C-contiguous (n, c_out)");
    AsppSpec spec;
    spec.nrates = (int64_t)rates.size();
    spec.rates = rates.data();
    spec.cb = p.cb;
    const auto fn = kernel(&KernelTable::aspp, dt, "aspp");
    const void* pb = proj_bias.data();
    const void* pk = packed ? packed->data.get() : nullptr;
    py::gil_scoped_release release;
    if (xi.n0 > 0) fn(xi, p.w.data(), p.b.data(), p.pw, pb, pk, oi, spec, nthreads);
}

}  // namespace

void bind_aspp(py::module_& m) {
    py::class_<AsppPacked, std::shared_ptr<AsppPacked>>(m, "AsppPacked")
        .def_readonly("isa", &AsppPacked::isa);
    m.def("aspp_pack", &run_aspp_pack, py::arg("dtype"), py::arg("c_in"), py::arg("weights"), py::arg("biases"),
          py::arg("proj_weight"), py::arg("rates"), py::arg("nthreads"));
    m.def("aspp", &run_aspp, py::arg("x"), py::arg("weights"), py::arg("biases"), py::arg("proj_weight"),
          py::arg("proj_bias"), py::arg("out"), py::arg("rates"), py::arg("nthreads"), py::arg("packed") = nullptr);
}

}  // namespace pk::bind
