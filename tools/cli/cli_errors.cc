#include "cli_errors.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <regex>

#include <fmt/format.h>

namespace inr::cli {

namespace {

std::string_view strip_dashes(std::string_view s) {
  while (!s.empty() && s.front() == '-') s.remove_prefix(1);
  return s;
}

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string join(const std::vector<std::string>& v, std::string_view sep) {
  std::string out;
  for (const std::string& s : v) out += (out.empty() ? "" : std::string(sep)) + s;
  return out;
}

std::vector<CLI::App*> commands_of(CLI::App& root) {
  return root.get_subcommands([](CLI::App*) { return true; });
}

std::vector<std::string> command_names(CLI::App& root) {
  std::vector<std::string> names;
  for (CLI::App* c : commands_of(root)) names.push_back(c->get_name());
  return names;
}

CLI::App* find_command(CLI::App& root, const std::string& name) {
  for (CLI::App* c : commands_of(root))
    if (c->check_name(name)) return c;
  return nullptr;
}

// The command the words name: the first word that is not an option (inr's own options are flags).
CLI::App* command_in(CLI::App& root, const std::vector<std::string>& args, size_t* index = nullptr) {
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--") return nullptr;
    if (!args[i].empty() && args[i][0] == '-') continue;
    if (index) *index = i;
    return find_command(root, args[i]);
  }
  return nullptr;
}

// "-x", "--name", "--name=value", "-xVALUE" (CLI11's rule: "-1", "-.5" are values unless such an option
// exists).
bool looks_like_option(const std::string& t) {
  if (t.size() < 2 || t[0] != '-' || t == "--") return false;
  if (std::isdigit(static_cast<unsigned char>(t[1])) || t[1] == '.') return false;
  return true;
}

// The option a word names ("--model=x" -> --model, "-k5" -> -k) in `app` or, for --help / --version, above
// it.
const CLI::Option* option_named(const CLI::App* app, const std::string& word, bool* attached_value) {
  std::string name;
  *attached_value = false;
  if (word.rfind("--", 0) == 0) {
    size_t eq = word.find('=');
    name = word.substr(0, eq);
    *attached_value = eq != std::string::npos;
  } else {
    name = word.substr(0, 2);
    *attached_value = word.size() > 2;
  }
  for (const CLI::App* a = app; a != nullptr; a = a->get_parent())
    if (const CLI::Option* o = a->get_option_no_throw(name)) return o;
  return nullptr;
}

int values_needed(const CLI::Option* o) {
  return std::min(o->get_type_size_min(), o->get_items_expected_min());
}

std::vector<std::string> long_names(const CLI::App* app) {
  std::vector<std::string> out;
  for (const CLI::App* a = app; a != nullptr; a = a->get_parent())
    for (const CLI::Option* o : a->get_options())
      for (const std::string& l : o->get_lnames()) out.push_back("--" + l);
  return out;
}

std::string command_label(const CLI::App* app) {
  return app->get_parent() ? "inr " + app->get_name() : std::string("inr");
}

// What CLI11's errors often follow from: an option the command does not have, or an option followed by
// another option instead of its value. Walks the words the way CLI11 does (an option taking a value takes
// the next word whatever it is, unless the value is attached: --top=5, -k5).
std::optional<std::string> scan_options(CLI::App& root, const std::vector<std::string>& args) {
  size_t cmd_index = args.size();
  CLI::App* cmd = command_in(root, args, &cmd_index);
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& w = args[i];
    if (w == "--") break;
    if (!looks_like_option(w)) continue;
    const CLI::App* app = cmd && i > cmd_index ? cmd : &root;
    bool attached = false;
    const CLI::Option* o = option_named(app, w, &attached);
    if (!o) {
      std::string name = w.rfind("--", 0) == 0 ? w.substr(0, w.find('=')) : w.substr(0, 2);
      std::string guess = name.size() > 2 ? closest_match(name, long_names(app)) : "";
      if (!guess.empty()) return fmt::format("unknown option '{}'; did you mean '{}'?", name, guess);
      return fmt::format("unknown option '{}' (see '{} --help')", name, command_label(app));
    }
    int need = values_needed(o);
    if (need <= 0 || attached) continue;
    for (int k = 1; k <= need; ++k) {
      if (i + k >= args.size())
        return fmt::format("{} needs a value{}", w,
                           o->get_description().empty() ? "" : " (" + o->get_description() + ")");
      bool unused = false;
      const std::string& next = args[i + k];
      if (next == "--" || (looks_like_option(next) && option_named(app, next, &unused)))
        return fmt::format("{} needs a value, got the option '{}' instead", w, next);
    }
    i += static_cast<size_t>(need);
  }
  return std::nullopt;
}

const CLI::Option* find_option(CLI::App& root, const std::vector<std::string>& args,
                               const std::string& name) {
  CLI::App* cmd = command_in(root, args);
  for (const CLI::App* a = cmd ? cmd : &root; a != nullptr; a = a->get_parent())
    if (const CLI::Option* o = a->get_option_no_throw(name)) return o;
  return nullptr;
}

std::string kind_of_value(const CLI::Option* o) {
  std::string t = o ? o->get_type_name() : "";
  if (t.rfind("UINT", 0) == 0) return "a non-negative integer";
  if (t.rfind("INT", 0) == 0) return "an integer";
  if (t.rfind("FLOAT", 0) == 0) return "a number";
  return "an accepted value";
}

std::string one_line(std::string s) {
  std::replace(s.begin(), s.end(), '\n', ' ');
  while (!s.empty() && s.back() == ' ') s.pop_back();
  return s;
}

}  // namespace

size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::vector<size_t>> d(a.size() + 1, std::vector<size_t>(b.size() + 1));
  for (size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (size_t i = 1; i <= a.size(); ++i)
    for (size_t j = 1; j <= b.size(); ++j) {
      d[i][j] =
          std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] != b[j - 1] ? 1 : 0)});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
    }
  return d[a.size()][b.size()];
}

std::string closest_match(std::string_view word, const std::vector<std::string>& candidates) {
  std::string w = lower(strip_dashes(word));
  if (w.empty()) return "";
  size_t limit = std::max<size_t>(1, w.size() / 3), best = limit + 1;
  std::string out;
  for (const std::string& c : candidates) {
    size_t d = edit_distance(w, lower(strip_dashes(c)));
    if (d < best) best = d, out = c;
  }
  return out;
}

CLI::Validator at_least(double min) {
  return CLI::Validator(
      [min](std::string& s) -> std::string {
        double v = 0;
        if (!CLI::detail::lexical_cast(s, v)) return fmt::format("'{}' is not a number", s);
        // NaN compares false with everything and inf passes a lower bound: both would slip through.
        if (!std::isfinite(v)) return fmt::format("must be a finite number, got {}", s);
        if (v < min) return fmt::format("must be >= {}, got {}", min, s);
        return "";
      },
      fmt::format(">={}", min));
}

CLI::Validator in_range(double lo, double hi) {
  return CLI::Validator(
      [lo, hi](std::string& s) -> std::string {
        double v = 0;
        if (!CLI::detail::lexical_cast(s, v)) return fmt::format("'{}' is not a number", s);
        if (!std::isfinite(v)) return fmt::format("must be a finite number, got {}", s);
        if (v < lo || v > hi) return fmt::format("must be between {} and {}, got {}", lo, hi, s);
        return "";
      },
      fmt::format("{}..{}", lo, hi));
}

CLI::Validator parsed_by(std::function<Status(const std::string&)> parse, std::string description) {
  return CLI::Validator(
      [parse = std::move(parse)](std::string& s) -> std::string {
        Status st = parse(s);
        if (st) return "";
        std::string msg = st.message();
        if (!msg.empty() && msg[0] == '-') {  // "--shard '1e3': ..." / "-r: '1e3' ...": drop the flag name
          const size_t space = msg.find(' ');
          msg = space == std::string::npos ? msg : msg.substr(space + 1);
        }
        return msg;
      },
      std::move(description));
}

CLI::Validator one_of(std::vector<std::string> choices) {
  std::string desc = "{" + join(choices, ",") + "}";
  return CLI::Validator(
      [choices](std::string& s) -> std::string {
        if (std::find(choices.begin(), choices.end(), s) != choices.end()) return "";
        std::string guess = closest_match(s, choices);
        return fmt::format("'{}' is not one of {}{}", s, join(choices, ", "),
                           guess.empty() ? "" : fmt::format("; did you mean '{}'?", guess));
      },
      desc);
}

std::optional<std::string> unknown_command(CLI::App& root, const std::vector<std::string>& args) {
  for (const std::string& w : args) {
    if (w == "--") return std::nullopt;
    if (!w.empty() && w[0] == '-') continue;
    if (find_command(root, w)) return std::nullopt;
    std::vector<std::string> names = command_names(root);
    std::string guess = closest_match(w, names);
    if (!guess.empty()) return fmt::format("unknown command '{}'; did you mean '{}'?", w, guess);
    return fmt::format("unknown command '{}' (commands: {})", w, join(names, ", "));
  }
  return std::nullopt;
}

std::string parse_error_message(CLI::App& root, const CLI::ParseError& e,
                                const std::vector<std::string>& args) {
  if (auto m = scan_options(root, args)) return *m;
  const std::string what = one_line(e.what());
  std::smatch m;
  auto matches = [&](const char* re) { return std::regex_match(what, m, std::regex(re)); };

  if (dynamic_cast<const CLI::RequiredError*>(&e)) {
    if (what == "A subcommand is required")
      return fmt::format("no command given (commands: {}; see 'inr --help')",
                         join(command_names(root), ", "));
    if (matches("(\\S+) is required")) {
      const CLI::Option* o = find_option(root, args, m[1]);
      std::string desc = o && !o->get_description().empty() ? " (" + o->get_description() + ")" : "";
      if (o && o->get_lnames().empty() && o->get_snames().empty())
        return fmt::format("missing argument <{}>{}", m[1].str(), desc);
      return fmt::format("{} is required{}", m[1].str(), desc);
    }
  }
  if (dynamic_cast<const CLI::ArgumentMismatch*>(&e)) {
    if (matches("(\\S+): At Most (\\d+) required but received (\\d+)"))
      return m[2] == "1" ? fmt::format("{} takes one value but was given {}", m[1].str(), m[3].str())
                         : fmt::format("{} takes at most {} values but was given {}", m[1].str(), m[2].str(),
                                       m[3].str());
    if (matches("(\\S+): At least (\\d+) required but received (\\d+)"))
      return fmt::format("{} needs at least {} values but was given {}", m[1].str(), m[2].str(), m[3].str());
    if (matches("(\\S+): (\\d+) required \\S+ missing")) {
      const CLI::Option* o = find_option(root, args, m[1]);
      std::string desc = o && !o->get_description().empty() ? " (" + o->get_description() + ")" : "";
      return fmt::format("{} needs a value{}", m[1].str(), desc);
    }
    if (matches("Expected (exactly|at least) (\\d+) arguments to (\\S+), got (\\d+)"))
      return fmt::format("{} takes {} {} values but was given {}", m[3].str(), m[1].str(), m[2].str(),
                         m[4].str());
    if (matches("(\\S+) was given a disallowed flag override"))
      return fmt::format("{} is a flag and takes no value", m[1].str());
  }
  if (dynamic_cast<const CLI::ConversionError*>(&e)) {
    if (matches("Could not convert: (\\S+) = (.*)"))
      return fmt::format("{}: '{}' is not {}", m[1].str(), m[2].str(),
                         kind_of_value(find_option(root, args, m[1])));
    if (matches("The value (.*) is not an allowed value for (\\S+)"))
      return fmt::format("{}: '{}' is not {}", m[2].str(), m[1].str(),
                         kind_of_value(find_option(root, args, m[2])));
    if (matches("(\\S+): too many inputs for a flag"))
      return fmt::format("{} is a flag and takes no value", m[1].str());
    if (matches("(\\S+): Should be true/false or a number"))
      return fmt::format("{}: expected true/false or a number", m[1].str());
  }
  if (dynamic_cast<const CLI::ValidationError*>(&e) && matches("([^-\\s]\\S*): (.*)"))
    return m[2].str();  // a positional argument: the check's message says what is wrong with the value
  if (dynamic_cast<const CLI::ExtrasError*>(&e) &&
      matches("The following arguments? (?:was|were) not expected: (.*)")) {
    // CLI11 lists them last first.
    std::vector<std::string> words;
    std::string list = m[1].str();
    for (size_t start = 0; start <= list.size();) {
      size_t end = std::min(list.find(' ', start), list.size());
      if (end > start) words.insert(words.begin(), list.substr(start, end - start));
      start = end + 1;
    }
    return words.size() == 1 ? fmt::format("unexpected argument '{}'", words[0])
                             : fmt::format("unexpected arguments '{}'", join(words, " "));
  }
  if (dynamic_cast<const CLI::ExcludesError*>(&e) && matches("(\\S+) excludes (\\S+)"))
    return fmt::format("{} and {} cannot be used together", m[1].str(), m[2].str());
  return what;
}

}  // namespace inr::cli
