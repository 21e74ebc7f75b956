// The _core extension module: one bind_<family> per file of this directory.
#include "bindings/array.hpp"
#include "core/parallel.hpp"

namespace pk::bind {
void bind_pyramid(py::module_& m);
void bind_blur(py::module_& m);
void bind_resample(py::module_& m);
void bind_conv_transpose(py::module_& m);
void bind_conv2d(py::module_& m);
void bind_aspp(py::module_& m);
void bind_pool(py::module_& m);
void bind_downsample(py::module_& m);
void bind_config(py::module_& m);
}  // namespace pk::bind

PYBIND11_MODULE(_core, m) {
    m.doc() = "pyramidkit native kernels (use the pyramidkit package, not this module)";
    pk::install_fork_handler();
    pk::bind::bind_pyramid(m);
    pk::bind::bind_blur(m);
    pk::bind::bind_resample(m);
    pk::bind::bind_conv_transpose(m);
    pk::bind::bind_conv2d(m);
    pk::bind::bind_aspp(m);
    pk::bind::bind_pool(m);
    pk::bind::bind_downsample(m);
    pk::bind::bind_config(m);
}
