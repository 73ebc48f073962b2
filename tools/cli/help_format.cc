#include "help_format.h"

#include <sstream>

namespace inr::cli {

namespace {

class HelpFormatter : public CLI::Formatter {
 public:
  // CLI::Formatter::make_option_opts without the "=default" after the type.
  std::string make_option_opts(const CLI::Option* opt) const override {
    std::stringstream out;
    if (!opt->get_option_text().empty()) return " " + opt->get_option_text();
    if (opt->get_type_size() != 0) {
      if (!opt->get_type_name().empty()) out << " " << get_label(opt->get_type_name());
      if (opt->get_expected_max() == CLI::detail::expected_max_vector_size)
        out << " ...";
      else if (opt->get_expected_min() > 1)
        out << " x " << opt->get_expected();
      if (opt->get_required()) out << " " << get_label("REQUIRED");
    }
    if (!opt->get_excludes().empty()) {
      out << " " << get_label("Excludes") << ":";
      for (const CLI::Option* o : opt->get_excludes()) out << " " << o->get_name();
    }
    return out.str();
  }

  // The description, then "[default: X]" for an option that takes a value and has a default to show (not
  // an empty string or list: the description says what happens without the option).
  std::string make_option_desc(const CLI::Option* opt) const override {
    std::string d = opt->get_description();
    const std::string& def = opt->get_default_str();
    if (opt->get_type_size() != 0 && !opt->get_required() && !def.empty() && def != "[]" && def != "\"\"")
      d += (d.empty() ? "" : " ") + std::string("[default: ") + def + "]";
    return d;
  }
};

}  // namespace

std::shared_ptr<CLI::Formatter> help_formatter() {
  return std::make_shared<HelpFormatter>();
}

}  // namespace inr::cli
