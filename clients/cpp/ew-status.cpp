// A small command-line tool built on edgewatch_status.hpp, and an example of its use.
//   g++ -std=c++17 -O2 -Wall -Wextra -Werror -o ew-status ew-status.cpp
//   ew-status set SOURCE key.path=value ...     (value: JSON when it parses, else a string)
//   ew-status event SOURCE LEVEL MESSAGE [CODE [key=value ...]]
//   ew-status heartbeat SOURCE
//   ew-status metric SOURCE NAME VALUE [--type=gauge|counter] [--help-text=H] [label=value ...]
//   ew-status count SOURCE WRITER N [AT]         (N updates setting c_WRITER = i, from epoch ms AT; us/update)
//   ew-status unique SOURCE WRITER N [AT]        (N updates, each adding key u_WRITER_i, from epoch ms AT;
//                                                prints us/update: used by bench/protocol.bench.mjs)
//   ew-status blob SOURCE                        (big updates forever, after printing "ready": crash tests)
// The status dir is $EDGEWATCH_DIR (else /run/edgewatch). Exit: 0 ok, 1 failed, 2 bad usage.
#include <chrono>
#include <cstdio>
#include <iostream>
#include <string>
#include <thread>

#include "edgewatch_status.hpp"

namespace {

int usage(const std::string& why) {
  std::cerr << "ew-status: " << why
            << "\nUsage: ew-status set SOURCE key.path=value ... | event SOURCE LEVEL MESSAGE [CODE [k=v ...]]"
               " | heartbeat SOURCE | metric SOURCE NAME VALUE [--type=T] [--help-text=H] [label=value ...] | count|unique SOURCE WRITER N [AT] | blob SOURCE\n";
  return 2;
}

// key=value with a JSON value when it parses, else the text as a string (like `edgewatch status set`).
bool split_assignment(const std::string& arg, std::string& key, edgewatch::Json& value) {
  std::size_t eq = arg.find('=');
  if (eq == std::string::npos || eq == 0) return false;
  key = arg.substr(0, eq);
  bool dot_ok = false;  // letters, digits, _ and - joined by dots, as `edgewatch status set` accepts
  for (char c : key) {
    bool word = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    if (c == '.' && dot_ok) {
      dot_ok = false;
    } else if (word) {
      dot_ok = true;
    } else {
      return false;
    }
  }
  if (!dot_ok) return false;
  std::string text = arg.substr(eq + 1);
  try {
    value = edgewatch::Json::parse(text);
  } catch (const edgewatch::Error&) {
    value = edgewatch::Json(text);
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) return usage("expected a command and a SOURCE");
  std::string cmd = argv[1];
  std::string source = argv[2];
  try {
    if (cmd == "set") {
      if (argc < 4) return usage("set: expected at least one key.path=value");
      edgewatch::Status st(source);
      for (int i = 3; i < argc; ++i) {
        std::string key;
        edgewatch::Json value;
        if (!split_assignment(argv[i], key, value)) return usage(std::string("expected key.path=value (key: letters, digits, _ and - joined by dots), got ") + argv[i]);
        st.set(key, value);
      }
      st.commit();
    } else if (cmd == "event") {
      if (argc < 5) return usage("event: expected SOURCE LEVEL MESSAGE");
      edgewatch::Json fields;
      for (int i = 6; i < argc; ++i) {
        std::string key;
        edgewatch::Json value;
        if (!split_assignment(argv[i], key, value)) return usage(std::string("expected key=value, got ") + argv[i]);
        fields[key] = value;
      }
      edgewatch::emit_event(source, argv[3], argv[4], argc > 5 ? argv[5] : "", fields);
    } else if (cmd == "metric") {
      if (argc < 5) return usage("metric: expected SOURCE NAME VALUE");
      std::string name = argv[3];
      edgewatch::Json value;
      try {
        value = edgewatch::Json::parse(argv[4]);
      } catch (const edgewatch::Error&) {
      }
      if (!value.is_number()) return usage(std::string("metric VALUE: expected a number, got ") + argv[4]);
      std::string type;
      std::string help;
      edgewatch::Json labels;
      for (int i = 5; i < argc; ++i) {
        std::string a = argv[i];
        if (a.rfind("--type=", 0) == 0) {
          type = a.substr(7);
        } else if (a.rfind("--help-text=", 0) == 0) {
          help = a.substr(12);
        } else {
          std::size_t eq = a.find('=');
          if (eq == std::string::npos || eq == 0) return usage("expected label=value, got " + a);
          labels[a.substr(0, eq)] = edgewatch::Json(a.substr(eq + 1));
        }
      }
      edgewatch::Json family = edgewatch::Json::object().set("type", type.empty() ? "gauge" : type);
      family.set("samples", edgewatch::Json::array().push_back(
                                edgewatch::Json::object().set("labels", labels.is_null() ? edgewatch::Json::object() : labels).set("value", value)));
      std::string problem = edgewatch::check_metrics(edgewatch::Json::object().set(name, family));
      if (!problem.empty()) return usage(problem);
      edgewatch::set_metric(source, name, value.as_double(), labels, type, help);
    } else if (cmd == "heartbeat") {
      edgewatch::heartbeat(source);
    } else if (cmd == "blob") {
      std::printf("ready\n");
      std::fflush(stdout);
      for (long i = 0;; ++i) {
        edgewatch::update_status(
            source, edgewatch::Json::object().set("i", i).set("blob", std::string(100000 + (i * 7919) % 300000, 'x')));
      }
    } else if (cmd == "count" || cmd == "unique") {
      bool unique = cmd == "unique";
      if (argc < 5) return usage(cmd + ": expected WRITER and N");
      std::string writer = argv[3];
      long n = std::stol(argv[4]);
      if (argc > 5) {
        std::this_thread::sleep_until(std::chrono::system_clock::time_point(std::chrono::milliseconds(std::stoll(argv[5]))));
      }
      auto t0 = std::chrono::steady_clock::now();
      for (long i = 1; i <= n; ++i) {
        edgewatch::Json patch = edgewatch::Json::object();
        if (unique) {
          patch.set("u_" + writer + "_" + std::to_string(i), 1);
        } else {
          patch.set("c_" + writer, i);
        }
        edgewatch::update_status(source, patch);
      }
      auto us = std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count();
      std::printf("%.1f\n", us / static_cast<double>(n));
    } else {
      return usage("unknown command " + cmd);
    }
  } catch (const edgewatch::Error& e) {
    std::cerr << "ew-status " << cmd << ": " << e.what() << " [" << e.code() << "]\n";
    return e.code() == "EW_BAD_SOURCE" || e.code() == "EW_BAD_LEVEL" || e.code() == "EW_BAD_KEY" ? 2 : 1;
  }
  return 0;
}
