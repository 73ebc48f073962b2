// The report layer's HTML helpers: base64 data URIs (RFC 4648 test vectors), escaping of text, and JSON
// that cannot end its <script> element.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "report/html.h"

namespace inr::report {
namespace {

TEST(ReportHtml, DataUriIsRfc4648Base64) {
  // RFC 4648 section 10.
  const std::pair<const char*, const char*> cases[] = {{"", ""},         {"f", "Zg=="},         {"fo", "Zm8="},
                                                       {"foo", "Zm9v"},  {"foob", "Zm9vYg=="},  {"fooba", "Zm9vYmE="},
                                                       {"foobar", "Zm9vYmFy"}};
  for (const auto& [in, out] : cases) EXPECT_EQ(data_uri("text/plain", in), std::string("data:text/plain;base64,") + out);
  // Every byte value, including the ones with the high bit set.
  std::string all;
  for (int i = 0; i < 256; ++i) all += static_cast<char>(i);
  const std::string uri = data_uri("x/y", all);
  EXPECT_EQ(uri.size(), std::string("data:x/y;base64,").size() + 344);
  EXPECT_EQ(uri.substr(uri.size() - 12), "+fr7/P3+/w==");
}

TEST(ReportHtml, EscapeCoversMarkupAndQuotes) {
  EXPECT_EQ(escape("a<b>&\"c'"), "a&lt;b&gt;&amp;&quot;c&#39;");
  EXPECT_EQ(escape("plain text"), "plain text");
}

TEST(ReportHtml, ScriptJsonCannotCloseItsElement) {
  const nlohmann::json j = {{"name", "</script><script>alert(1)</script>"}, {"c", "<!-- x -->"}};
  const std::string s = script_json(j);
  EXPECT_EQ(s.find('<'), std::string::npos) << s;
  EXPECT_EQ(nlohmann::json::parse(s), j);  // still the same JSON
}

TEST(ReportHtml, TableRightAlignsNumericColumns) {
  Table t({{"name"}, {"ms", true}});
  t.add_row({"conv", "1.5"});
  const std::string h = t.html();
  EXPECT_NE(h.find("<td>conv</td><td class=\"num\">1.5</td>"), std::string::npos) << h;
}

}  // namespace
}  // namespace inr::report
