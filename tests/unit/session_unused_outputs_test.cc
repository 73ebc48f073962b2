// A node output that nothing reads still gets somewhere to be written (found by fuzz/fuzz_onnx: a
// DynamicQuantizeLinear whose y_scale is neither consumed nor a graph output wrote through an empty tensor).
#include <gtest/gtest.h>

#include <fstream>

#include <onnx/onnx_pb.h>

#include "inr/session.h"
#include "onnx_test_util.h"
#include "test_util.h"

namespace inr {
namespace {

TEST(SessionUnusedOutputs, KernelsMayWriteOutputsNobodyReads) {
  onnx::ModelProto m;
  m.set_ir_version(7);
  m.add_opset_import()->set_version(11);
  auto* g = m.mutable_graph();
  auto* x = g->add_input();
  x->set_name("x");
  x->mutable_type()->mutable_tensor_type()->set_elem_type(onnx::TensorProto::FLOAT);
  x->mutable_type()->mutable_tensor_type()->mutable_shape()->add_dim()->set_dim_value(4);
  auto* n = g->add_node();
  n->set_op_type("DynamicQuantizeLinear");
  n->add_input("x");
  for (const char* o : {"y", "y_scale", "y_zero_point"}) n->add_output(o);
  for (const char* o : {"y", "y_zero_point"}) g->add_output()->set_name(o);  // y_scale: read by nobody
  const std::string path = test::temp_dir("unused_outputs") + "/dql.onnx";
  test::save_model(path, m);
  for (const char* backend : {"reference", "auto"}) {
    SCOPED_TRACE(backend);
    SessionOptions o;
    o.backend = backend;
    auto s = Session::load(path, o);
    ASSERT_TRUE(s.is_ok()) << s.status().message();
    Tensor in = Tensor::from_vector<float>(DType::kF32, {4}, {-1.f, 0.f, 0.5f, 1.f});
    auto out = (*s)->run(std::span<const Tensor>(&in, 1));
    ASSERT_TRUE(out.is_ok()) << out.status().message();
    ASSERT_EQ(out->size(), 2u);
    // scale = 2/255 in float32, zero point = rne(1 / scale) = rne(127.49999) = 127, y(1) = 127 + 127 (numpy agrees)
    EXPECT_EQ((*out)[1].data<uint8_t>()[0], 127);
    EXPECT_EQ((*out)[0].data<uint8_t>()[0], 0);
    EXPECT_EQ((*out)[0].data<uint8_t>()[3], 254);
  }
}

}  // namespace
}  // namespace inr
