// edgewatch status protocol v1 client for C++ programs: header-only, C++17, no dependency beyond the
// standard library and the POSIX calls every Linux program has (open/write/rename/utimensat/getpid).
//
//   #include "edgewatch_status.hpp"
//   edgewatch::Status st("timelapse");                    // dir: $EDGEWATCH_DIR, else /run/edgewatch
//   st.set("status", "capturing").set("today.photos_captured", 342).set("last_capture.success", true);
//   st.commit();                                          // read own fragment, deep-merge, stamp, rename
//   st.heartbeat();                                       // touch the fragment's mtime
//   st.event("error", "capture failed: camera timeout", "CAP-001", edgewatch::Json::object().set("attempt", 3));
//   st.metric("recorder_upload_queue_size", 4);                                   // own Prometheus metric
//   st.metric("uploads", 41, edgewatch::Json::object().set("result", "ok"), "counter", "Uploads by result");
//
// Rules (the same as the TypeScript library in src/protocol/; see docs/protocol.md):
//  * each program owns status.d/<source>.json, <source> matching [a-z0-9][a-z0-9_-]{0,63};
//  * update_status reads the program's own fragment, deep-merges (objects recursively, any other value
//    replaced), sets updated_at (ISO 8601 UTC with milliseconds) and replaces the file whole: a dot-named
//    temp file in the same folder, then rename(). No lock: nobody else writes this file;
//  * heartbeat touches the fragment's mtime (creates {"updated_at": ...} when missing);
//  * emit_event writes events/tmp/<name> and renames it into events/new/ (a maildir);
//  * fragment <= 1 MiB, event <= 64 KiB; strings must be valid UTF-8 (written as-is, only quotes,
//    backslashes and control characters are escaped).
// Every failure throws edgewatch::Error, whose code() is the TypeScript library's code (EW_...).
// Calls from several threads of one process are serialised; two processes must not share a source.
#pragma once

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <locale>
#include <mutex>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

namespace edgewatch {

inline constexpr const char* kDefaultStatusDir = "/run/edgewatch";
inline constexpr std::size_t kMaxFragmentBytes = 1024 * 1024;
inline constexpr std::size_t kMaxEventBytes = 64 * 1024;
inline constexpr const char* kStatuses[] = {"idle",       "waiting",   "capturing", "creating_video",
                                            "backing_up", "uploading", "error"};
inline constexpr const char* kLevels[] = {"debug", "info", "warning", "error", "critical"};

class Error : public std::runtime_error {
 public:
  Error(std::string code, const std::string& message) : std::runtime_error(message), code_(std::move(code)) {}
  const std::string& code() const noexcept { return code_; }

 private:
  std::string code_;
};

namespace detail {

inline std::string quote_for_message(const std::string& s) {
  std::string out = "\"";
  std::size_t n = 0;
  for (char c : s) {
    if (++n > 60) {
      out += "...";
      break;
    }
    if (c == '"' || c == '\\') out += '\\';
    if (static_cast<unsigned char>(c) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(static_cast<unsigned char>(c)));
      out += buf;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

// Strict UTF-8 check (no overlongs, no surrogates, <= U+10FFFF): what a strict JSON reader accepts.
inline bool valid_utf8(const std::string& s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const auto* end = p + s.size();
  while (p < end) {
    unsigned c = *p;
    if (c < 0x80) {
      ++p;
      continue;
    }
    int n;
    unsigned cp;
    if (c >= 0xC2 && c <= 0xDF) {
      n = 1;
      cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
      n = 2;
      cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      n = 3;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (end - p <= n) return false;
    for (int i = 1; i <= n; ++i) {
      if ((p[i] & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (p[i] & 0x3F);
    }
    if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
      return false;
    }
    p += n + 1;
  }
  return true;
}

inline void append_utf8(std::string& out, unsigned cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

inline std::mutex& write_mutex() {
  static std::mutex m;
  return m;
}

}  // namespace detail

// A JSON value: null, boolean, integer, double, string, array or object (keys kept in insertion order).
class Json {
 public:
  enum class Type { Null, Bool, Int, Double, String, Array, Object };

  Json() = default;
  Json(std::nullptr_t) {}
  Json(bool b) : type_(Type::Bool), b_(b) {}
  template <class T, typename std::enable_if<std::is_integral<T>::value && !std::is_same<T, bool>::value &&
                                                 !std::is_same<T, char>::value,
                                             int>::type = 0>
  Json(T v) {
    if (std::is_unsigned<T>::value && static_cast<unsigned long long>(v) > 9223372036854775807ULL) {
      type_ = Type::Double;
      d_ = static_cast<double>(v);
    } else {
      type_ = Type::Int;
      i_ = static_cast<long long>(v);
    }
  }
  Json(double d) : type_(Type::Double), d_(d) {}
  Json(const char* s) : type_(Type::String), s_(s ? s : "") {
    if (!s) type_ = Type::Null;
  }
  Json(std::string s) : type_(Type::String), s_(std::move(s)) {}

  static Json object() {
    Json j;
    j.type_ = Type::Object;
    return j;
  }
  static Json array() {
    Json j;
    j.type_ = Type::Array;
    return j;
  }

  Type type() const noexcept { return type_; }
  bool is_null() const noexcept { return type_ == Type::Null; }
  bool is_object() const noexcept { return type_ == Type::Object; }
  bool is_array() const noexcept { return type_ == Type::Array; }
  bool is_string() const noexcept { return type_ == Type::String; }
  bool is_number() const noexcept { return type_ == Type::Int || type_ == Type::Double; }
  bool as_bool() const noexcept { return b_; }
  long long as_int() const noexcept { return type_ == Type::Double ? static_cast<long long>(d_) : i_; }
  double as_double() const noexcept { return type_ == Type::Int ? static_cast<double>(i_) : d_; }
  const std::string& as_string() const noexcept { return s_; }
  const std::vector<Json>& items() const noexcept { return vals_; }
  const std::vector<std::string>& keys() const noexcept { return keys_; }
  std::size_t size() const noexcept { return vals_.size(); }

  // Object member, or nullptr.
  const Json* find(const std::string& key) const {
    if (type_ != Type::Object) return nullptr;
    for (std::size_t i = 0; i < keys_.size(); ++i) {
      if (keys_[i] == key) return &vals_[i];
    }
    return nullptr;
  }
  // Object member, inserted (as null) when missing; a null value becomes an empty object first.
  Json& operator[](const std::string& key) {
    if (type_ == Type::Null) type_ = Type::Object;
    if (type_ != Type::Object) throw Error("EW_NOT_OBJECT", "expected a JSON object to index by " + key);
    for (std::size_t i = 0; i < keys_.size(); ++i) {
      if (keys_[i] == key) return vals_[i];
    }
    keys_.push_back(key);
    vals_.emplace_back();
    return vals_.back();
  }
  // Chainable object member assignment: Json::object().set("a", 1).set("b", "x").
  Json& set(const std::string& key, Json value) {
    (*this)[key] = std::move(value);
    return *this;
  }
  // "a.b.c" = value, creating (or replacing non-object) intermediate objects.
  Json& set_path(const std::string& dotted, Json value) {
    std::vector<std::string> parts;
    std::size_t start = 0;
    for (;;) {
      std::size_t dot = dotted.find('.', start);
      parts.push_back(dotted.substr(start, dot == std::string::npos ? std::string::npos : dot - start));
      if (dot == std::string::npos) break;
      start = dot + 1;
    }
    for (const auto& p : parts) {
      if (p.empty()) {
        throw Error("EW_BAD_KEY", "key path: expected keys joined by dots (e.g. today.photos_captured), got " +
                                      detail::quote_for_message(dotted));
      }
    }
    Json* cur = this;
    for (std::size_t i = 0; i + 1 < parts.size(); ++i) {
      Json& next = (*cur)[parts[i]];
      if (!next.is_object()) next = object();
      cur = &next;
    }
    (*cur)[parts.back()] = std::move(value);
    return *this;
  }
  Json& push_back(Json value) {
    if (type_ == Type::Null) type_ = Type::Array;
    if (type_ != Type::Array) throw Error("EW_NOT_ARRAY", "expected a JSON array to append to");
    vals_.push_back(std::move(value));
    return *this;
  }
  bool erase(const std::string& key) {
    for (std::size_t i = 0; i < keys_.size(); ++i) {
      if (keys_[i] == key) {
        keys_.erase(keys_.begin() + static_cast<std::ptrdiff_t>(i));
        vals_.erase(vals_.begin() + static_cast<std::ptrdiff_t>(i));
        return true;
      }
    }
    return false;
  }

  // Compact JSON text. Throws Error for NaN/Infinity and for strings that are not valid UTF-8.
  std::string dump() const {
    std::string out;
    dump_to(out);
    return out;
  }

  // Strict JSON (RFC 8259) parser; throws Error("EW_NOT_JSON") saying what was expected where.
  static Json parse(const std::string& text) {
    Parser p{text, 0};
    p.ws();
    Json v = p.value(0);
    p.ws();
    if (p.i != text.size()) p.fail("end of input");
    return v;
  }

  static void escape_to(std::string& out, const std::string& s) {
    if (!detail::valid_utf8(s)) {
      throw Error("EW_NOT_UTF8", "string: expected valid UTF-8 text, got bytes that are not: " +
                                     detail::quote_for_message(s.substr(0, 40)));
    }
    out += '"';
    for (char ch : s) {
      auto c = static_cast<unsigned char>(ch);
      switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\b': out += "\\b"; break;
        case '\f': out += "\\f"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        default:
          if (c < 0x20) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(c));
            out += buf;
          } else {
            out += ch;  // ASCII and UTF-8 multi-byte sequences pass through unchanged
          }
      }
    }
    out += '"';
  }

 private:
  Type type_ = Type::Null;
  bool b_ = false;
  long long i_ = 0;
  double d_ = 0;
  std::string s_;
  std::vector<std::string> keys_;  // objects
  std::vector<Json> vals_;         // object values, or array items

  static std::string format_double(double d) {
    if (!std::isfinite(d)) throw Error("EW_NOT_JSON", "number: expected a finite number, got NaN or Infinity");
    // Shortest text that reads back as the same double, independent of the program's locale.
    for (int prec = 1; prec <= 17; ++prec) {
      std::ostringstream o;
      o.imbue(std::locale::classic());
      o.precision(prec);
      o << d;
      std::istringstream back(o.str());
      back.imbue(std::locale::classic());
      double r = 0;
      back >> r;
      if (r == d || prec == 17) return o.str();
    }
    return "0";
  }

  void dump_to(std::string& out) const {
    switch (type_) {
      case Type::Null: out += "null"; break;
      case Type::Bool: out += b_ ? "true" : "false"; break;
      case Type::Int: out += std::to_string(i_); break;
      case Type::Double: out += format_double(d_); break;
      case Type::String: escape_to(out, s_); break;
      case Type::Array:
        out += '[';
        for (std::size_t i = 0; i < vals_.size(); ++i) {
          if (i) out += ',';
          vals_[i].dump_to(out);
        }
        out += ']';
        break;
      case Type::Object:
        out += '{';
        for (std::size_t i = 0; i < vals_.size(); ++i) {
          if (i) out += ',';
          escape_to(out, keys_[i]);
          out += ':';
          vals_[i].dump_to(out);
        }
        out += '}';
        break;
    }
  }

  struct Parser {
    const std::string& t;
    std::size_t i;

    [[noreturn]] void fail(const char* expected) const {
      std::string got = i < t.size() ? detail::quote_for_message(t.substr(i, 12)) : std::string("the end");
      throw Error("EW_NOT_JSON",
                  "not valid JSON: at byte " + std::to_string(i) + ": expected " + expected + ", got " + got);
    }
    void ws() {
      while (i < t.size() && (t[i] == ' ' || t[i] == '\t' || t[i] == '\n' || t[i] == '\r')) ++i;
    }
    bool lit(const char* word) {
      std::size_t n = std::strlen(word);
      if (t.compare(i, n, word) == 0) {
        i += n;
        return true;
      }
      return false;
    }
    Json value(int depth) {
      if (depth > 512) fail("at most 512 levels of nesting");
      if (i >= t.size()) fail("a JSON value");
      char c = t[i];
      if (c == '{') {
        ++i;
        Json o = Json::object();
        ws();
        if (i < t.size() && t[i] == '}') {
          ++i;
          return o;
        }
        for (;;) {
          ws();
          if (i >= t.size() || t[i] != '"') fail("a quoted object key");
          std::string k = str();
          ws();
          if (i >= t.size() || t[i] != ':') fail("':'");
          ++i;
          ws();
          Json v = value(depth + 1);
          o.keys_.push_back(std::move(k));
          o.vals_.push_back(std::move(v));
          ws();
          if (i < t.size() && t[i] == ',') {
            ++i;
            continue;
          }
          if (i < t.size() && t[i] == '}') {
            ++i;
            dedupe(o);
            return o;
          }
          fail("',' or '}'");
        }
      }
      if (c == '[') {
        ++i;
        Json a = Json::array();
        ws();
        if (i < t.size() && t[i] == ']') {
          ++i;
          return a;
        }
        for (;;) {
          ws();
          a.push_back(value(depth + 1));
          ws();
          if (i < t.size() && t[i] == ',') {
            ++i;
            continue;
          }
          if (i < t.size() && t[i] == ']') {
            ++i;
            return a;
          }
          fail("',' or ']'");
        }
      }
      if (c == '"') return Json(str());
      if (lit("true")) return Json(true);
      if (lit("false")) return Json(false);
      if (lit("null")) return Json();
      if (c == '-' || (c >= '0' && c <= '9')) return number();
      fail("a JSON value");
    }
    // A repeated key keeps its first position and its last value, as JSON.parse does. O(n).
    static void dedupe(Json& o) {
      if (o.keys_.size() < 2) return;
      std::unordered_map<std::string, std::size_t> at;
      at.reserve(o.keys_.size());
      std::vector<std::string> keys;
      std::vector<Json> vals;
      for (std::size_t j = 0; j < o.keys_.size(); ++j) {
        auto found = at.find(o.keys_[j]);
        if (found != at.end()) {
          vals[found->second] = std::move(o.vals_[j]);
        } else {
          at.emplace(o.keys_[j], keys.size());
          keys.push_back(std::move(o.keys_[j]));
          vals.push_back(std::move(o.vals_[j]));
        }
      }
      o.keys_ = std::move(keys);
      o.vals_ = std::move(vals);
    }
    Json number() {
      std::size_t start = i;
      bool integral = true;
      if (t[i] == '-') ++i;
      if (i < t.size() && t[i] == '0') {
        ++i;
      } else if (i < t.size() && t[i] >= '1' && t[i] <= '9') {
        while (i < t.size() && t[i] >= '0' && t[i] <= '9') ++i;
      } else {
        fail("a digit");
      }
      if (i < t.size() && t[i] == '.') {
        integral = false;
        ++i;
        if (i >= t.size() || t[i] < '0' || t[i] > '9') fail("a digit after '.'");
        while (i < t.size() && t[i] >= '0' && t[i] <= '9') ++i;
      }
      if (i < t.size() && (t[i] == 'e' || t[i] == 'E')) {
        integral = false;
        ++i;
        if (i < t.size() && (t[i] == '+' || t[i] == '-')) ++i;
        if (i >= t.size() || t[i] < '0' || t[i] > '9') fail("a digit in the exponent");
        while (i < t.size() && t[i] >= '0' && t[i] <= '9') ++i;
      }
      std::string text = t.substr(start, i - start);
      if (integral) {
        errno = 0;
        char* end = nullptr;
        long long v = std::strtoll(text.c_str(), &end, 10);
        if (errno == 0 && end && *end == '\0') return Json(v);
      }
      std::istringstream in(text);
      in.imbue(std::locale::classic());
      double d = 0;
      in >> d;
      return Json(d);
    }
    unsigned hex4() {
      if (i + 4 > t.size()) fail("4 hex digits after \\u");
      unsigned v = 0;
      for (int k = 0; k < 4; ++k) {
        char h = t[i++];
        v <<= 4;
        if (h >= '0' && h <= '9') v |= static_cast<unsigned>(h - '0');
        else if (h >= 'a' && h <= 'f') v |= static_cast<unsigned>(h - 'a' + 10);
        else if (h >= 'A' && h <= 'F') v |= static_cast<unsigned>(h - 'A' + 10);
        else {
          --i;
          fail("a hex digit");
        }
      }
      return v;
    }
    std::string str() {
      ++i;  // opening quote
      std::string out;
      for (;;) {
        if (i >= t.size()) fail("a closing '\"'");
        auto c = static_cast<unsigned char>(t[i]);
        if (c == '"') {
          ++i;
          break;
        }
        if (c < 0x20) fail("no raw control character inside a string");
        if (c != '\\') {
          out += t[i++];
          continue;
        }
        ++i;
        if (i >= t.size()) fail("an escape character");
        char e = t[i++];
        switch (e) {
          case '"': out += '"'; break;
          case '\\': out += '\\'; break;
          case '/': out += '/'; break;
          case 'b': out += '\b'; break;
          case 'f': out += '\f'; break;
          case 'n': out += '\n'; break;
          case 'r': out += '\r'; break;
          case 't': out += '\t'; break;
          case 'u': {
            unsigned cp = hex4();
            if (cp >= 0xD800 && cp <= 0xDBFF && t.compare(i, 2, "\\u") == 0) {
              std::size_t save = i;
              i += 2;
              unsigned lo = hex4();
              if (lo >= 0xDC00 && lo <= 0xDFFF) {
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
              } else {
                i = save;
              }
            }
            if (cp >= 0xD800 && cp <= 0xDFFF) cp = 0xFFFD;  // a lone surrogate has no UTF-8 form
            detail::append_utf8(out, cp);
            break;
          }
          default:
            --i;
            fail("one of \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX");
        }
      }
      if (!detail::valid_utf8(out)) fail("UTF-8 text");
      return out;
    }
  };
};

// Objects merge recursively; any other value in `patch` replaces. Returns a new value.
inline Json deep_merge(const Json& base, const Json& patch) {
  Json out = base.is_object() ? base : Json::object();
  for (std::size_t i = 0; i < patch.keys().size(); ++i) {
    const std::string& k = patch.keys()[i];
    const Json& v = patch.items()[i];
    const Json* prev = out.find(k);
    if (v.is_object() && prev && prev->is_object()) {
      out[k] = deep_merge(*prev, v);
    } else {
      out[k] = v;
    }
  }
  return out;
}

inline bool valid_source(const std::string& s) {
  if (s.empty() || s.size() > 64) return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || (i > 0 && (c == '_' || c == '-'));
    if (!ok) return false;
  }
  return true;
}

inline void check_source(const std::string& s) {
  if (!valid_source(s)) {
    throw Error("EW_BAD_SOURCE", "source name: expected [a-z0-9][a-z0-9_-]{0,63} (e.g. \"timelapse\"), got " +
                                     detail::quote_for_message(s));
  }
}

inline void check_level(const std::string& level) {
  for (const char* l : kLevels) {
    if (level == l) return;
  }
  throw Error("EW_BAD_LEVEL",
              "level: expected one of debug|info|warning|error|critical, got " + detail::quote_for_message(level));
}

// ISO 8601 as the TypeScript reader accepts it: YYYY-MM-DD[(T| )hh:mm[:ss[.fff]]][Z|(+|-)hh[:]mm].
inline bool valid_time(const std::string& v) {
  auto digits = [&](std::size_t at, std::size_t n) {
    if (at + n > v.size()) return false;
    for (std::size_t k = at; k < at + n; ++k) {
      if (v[k] < '0' || v[k] > '9') return false;
    }
    return true;
  };
  if (!digits(0, 4) || v.size() < 10 || v[4] != '-' || !digits(5, 2) || v[7] != '-' || !digits(8, 2)) return false;
  int month = std::atoi(v.substr(5, 2).c_str());
  int day = std::atoi(v.substr(8, 2).c_str());
  if (month < 1 || month > 12 || day < 1 || day > 31) return false;
  std::size_t i = 10;
  if (i < v.size() && (v[i] == 'T' || v[i] == ' ')) {
    if (!digits(i + 1, 2) || v.size() < i + 6 || v[i + 3] != ':' || !digits(i + 4, 2)) return false;
    if (std::atoi(v.substr(i + 1, 2).c_str()) > 24 || std::atoi(v.substr(i + 4, 2).c_str()) > 59) return false;
    i += 6;
    if (i < v.size() && v[i] == ':') {
      if (!digits(i + 1, 2) || std::atoi(v.substr(i + 1, 2).c_str()) > 59) return false;
      i += 3;
      if (i < v.size() && v[i] == '.') {
        ++i;
        if (!digits(i, 1)) return false;
        while (i < v.size() && v[i] >= '0' && v[i] <= '9') ++i;
      }
    }
  }
  if (i == v.size()) return true;
  if (v[i] == 'Z') return i + 1 == v.size();
  if (v[i] != '+' && v[i] != '-') return false;
  if (!digits(i + 1, 2)) return false;
  i += 3;
  if (i < v.size() && v[i] == ':') ++i;
  return digits(i, 2) && i + 2 == v.size();
}

namespace detail {

inline bool metric_name_ok(const std::string& n) {
  if (n.empty()) return false;
  for (std::size_t i = 0; i < n.size(); ++i) {
    char c = n[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (i > 0 && c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return true;
}

inline std::string check_metric_name(const std::string& name) {
  if (!metric_name_ok(name)) return "name " + quote_for_message(name) + ": expected [a-zA-Z_][a-zA-Z0-9_]*";
  if (name.rfind("__", 0) == 0) return "name " + quote_for_message(name) + ": names starting with \"__\" are reserved";
  if (name.rfind("edgewatch_", 0) == 0) {
    return "name " + quote_for_message(name) + ": the \"edgewatch_\" prefix is reserved for the agent's own metrics";
  }
  return "";
}

// Labels in a canonical order, to compare two label sets.
inline std::string labels_key(const Json& labels) {
  std::vector<std::string> pairs;
  for (std::size_t k = 0; k < labels.keys().size(); ++k) pairs.push_back(labels.keys()[k] + '\0' + labels.items()[k].dump());
  std::sort(pairs.begin(), pairs.end());
  std::string key;
  for (const auto& p : pairs) key += p + '\1';
  return key;
}

inline std::string check_labels(const Json& labels) {
  if (!labels.is_object()) return "\"labels\": expected an object of strings, got " + labels.dump();
  if (labels.size() > 16) return "\"labels\": expected at most 16 labels, got " + std::to_string(labels.size());
  for (std::size_t i = 0; i < labels.keys().size(); ++i) {
    const std::string& k = labels.keys()[i];
    if (!metric_name_ok(k) || k.rfind("__", 0) == 0) {
      return "label name " + quote_for_message(k) + ": expected [a-zA-Z_][a-zA-Z0-9_]* not starting with \"__\"";
    }
    if (k == "device" || k == "site") return "label " + quote_for_message(k) + ": reserved, the agent adds device and site itself";
    const Json& v = labels.items()[i];
    if (!v.is_string()) return "label " + quote_for_message(k) + ": expected a string value, got " + v.dump();
    if (v.as_string().size() > 1024) return "label " + quote_for_message(k) + ": value over 1024 characters";
  }
  return "";
}

inline std::string check_family(const std::string& name, const Json& v) {
  std::string bad = check_metric_name(name);
  if (!bad.empty()) return bad;
  if (v.is_number()) return "";
  if (!v.is_object()) return name + ": expected a number or {type, help, samples}, got " + v.dump();
  for (const auto& k : v.keys()) {
    if (k != "type" && k != "help" && k != "samples") {
      return name + ": unknown key " + quote_for_message(k) + " (expected type, help, samples)";
    }
  }
  std::string type = "gauge";
  if (const Json* t = v.find("type")) {
    if (!t->is_string() || (t->as_string() != "gauge" && t->as_string() != "counter")) {
      return name + ": \"type\": expected \"gauge\" or \"counter\", got " + t->dump();
    }
    type = t->as_string();
  }
  if (const Json* h = v.find("help")) {
    if (!h->is_string() || h->as_string().size() > 1024) {
      return name + ": \"help\": expected a string of at most 1024 characters, got " + h->dump();
    }
  }
  const Json* samples = v.find("samples");
  if (!samples || !samples->is_array()) return name + ": \"samples\": expected a list of {labels, value}";
  if (samples->size() > 500) return name + ": \"samples\": expected at most 500, got " + std::to_string(samples->size());
  std::vector<std::string> seen;
  for (std::size_t i = 0; i < samples->size(); ++i) {
    const Json& s = samples->items()[i];
    std::string where = name + ": samples[" + std::to_string(i) + "]";
    if (!s.is_object()) return where + ": expected {labels, value}, got " + s.dump();
    for (const auto& k : s.keys()) {
      if (k != "labels" && k != "value") return where + ": unknown key " + quote_for_message(k);
    }
    const Json* value = s.find("value");
    if (!value || !value->is_number()) return where + ".\"value\": expected a finite number";
    if (type == "counter" && value->as_double() < 0) return where + ": a counter cannot be negative";
    Json labels = s.find("labels") ? *s.find("labels") : Json::object();
    std::string problem = check_labels(labels);
    if (!problem.empty()) return where + ": " + problem;
    std::string key = labels_key(labels);
    if (std::find(seen.begin(), seen.end(), key) != seen.end()) return where + ": the same labels appear twice";
    seen.push_back(key);
  }
  return "";
}

}  // namespace detail

// Why a `metrics` value is not acceptable, or "" (the same rules as src/protocol/metrics.ts).
inline std::string check_metrics(const Json& v) {
  if (!v.is_object()) return "expected an object of metric name -> number or family, got " + v.dump();
  if (v.size() > 200) return "expected at most 200 metrics, got " + std::to_string(v.size());
  std::vector<std::string> stems;
  for (std::size_t i = 0; i < v.keys().size(); ++i) {
    const std::string& name = v.keys()[i];
    std::string problem = detail::check_family(name, v.items()[i]);
    if (!problem.empty()) return problem;
    bool total = name.size() > 6 && name.compare(name.size() - 6, 6, "_total") == 0;
    std::string stem = total ? name.substr(0, name.size() - 6) : name;
    if (std::find(stems.begin(), stems.end(), stem) != stems.end()) {
      return name + ": collides with another metric of the same name with or without \"_total\"";
    }
    stems.push_back(stem);
  }
  return "";
}

// Why a value is not an acceptable fragment, or "" (the same rules as checkFragmentValue in fragment.ts).
inline std::string check_fragment_value(const Json& v) {
  if (!v.is_object()) return "expected a JSON object";
  if (const Json* s = v.find("status")) {
    bool ok = false;
    if (s->is_string()) {
      for (const char* st : kStatuses) ok = ok || s->as_string() == st;
    }
    if (!ok) {
      return std::string("reserved key \"status\": expected one of "
                         "idle|waiting|capturing|creating_video|backing_up|uploading|error, got ") +
             (s->is_string() ? detail::quote_for_message(s->as_string()) : s->dump());
    }
  }
  if (const Json* u = v.find("updated_at")) {
    if (!u->is_string() || !valid_time(u->as_string())) {
      return std::string("reserved key \"updated_at\": expected an ISO 8601 time, got ") +
             (u->is_string() ? detail::quote_for_message(u->as_string()) : u->dump());
    }
  }
  if (const Json* m = v.find("metrics")) {
    std::string problem = check_metrics(*m);
    if (!problem.empty()) return "reserved key \"metrics\": " + problem;
  }
  return "";
}

// The status directory: `dir` when not empty, else $EDGEWATCH_DIR when set and not empty, else /run/edgewatch.
inline std::string status_dir(const std::string& dir = "") {
  if (!dir.empty()) return dir;
  const char* env = std::getenv("EDGEWATCH_DIR");
  return env && *env ? std::string(env) : std::string(kDefaultStatusDir);
}

inline std::string fragment_path(const std::string& source, const std::string& dir = "") {
  return (std::filesystem::path(status_dir(dir)) / "status.d" / (source + ".json")).string();
}

// Now as ISO 8601 UTC with milliseconds, like JavaScript's toISOString(): 2026-02-08T14:23:45.123Z.
inline std::string now_iso() {
  using namespace std::chrono;
  auto now = system_clock::now();
  auto ms = duration_cast<milliseconds>(now.time_since_epoch()).count();
  std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[96];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms % 1000));
  return buf;
}

namespace detail {

inline std::string random_hex6() {
  static std::mutex m;
  static std::mt19937 rng{std::random_device{}()};
  std::lock_guard<std::mutex> lock(m);
  char buf[8];
  std::snprintf(buf, sizeof buf, "%06x", static_cast<unsigned>(rng() & 0xFFFFFF));
  return buf;
}

inline std::string errno_text(int e) { return std::strerror(e); }

inline void mkdirs(const std::string& path) {
  std::error_code ec;
  std::filesystem::create_directories(path, ec);
  if (ec) throw Error("EW_STATUS_DIR", "cannot create status directory " + path + ": " + ec.message());
}

// Write `data` to a new file at `path` (which must not exist). Returns 0 or an errno value.
inline int write_new_file(const std::string& path, const std::string& data) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) return errno;
  std::size_t off = 0;
  while (off < data.size()) {
    ssize_t n = ::write(fd, data.data() + off, data.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      int e = errno;
      ::close(fd);
      ::unlink(path.c_str());
      return e;
    }
    off += static_cast<std::size_t>(n);
  }
  if (::close(fd) != 0) {
    int e = errno;
    ::unlink(path.c_str());
    return e;
  }
  return 0;
}

// Replace `path` whole: dot-named temp file beside it, then rename() over it.
inline void write_atomic(const std::string& path, const std::string& data) {
  std::filesystem::path p(path);
  std::string tmp = (p.parent_path() / ("." + p.filename().string() + "." + std::to_string(::getpid()) + "." +
                                        random_hex6() + ".tmp"))
                        .string();
  int e = write_new_file(tmp, data);
  if (e == 0 && std::rename(tmp.c_str(), path.c_str()) != 0) {
    e = errno;
    ::unlink(tmp.c_str());
  }
  if (e != 0) throw Error("EW_STATUS_WRITE", "cannot write " + path + ": " + errno_text(e));
}


}  // namespace detail

// This source's own fragment; an empty object when it is missing or not a valid fragment.
inline Json read_fragment(const std::string& source, const std::string& dir = "") {
  check_source(source);
  std::FILE* f = std::fopen(fragment_path(source, dir).c_str(), "rb");
  if (!f) return Json::object();
  std::string buf;
  char chunk[65536];
  std::size_t n;
  while ((n = std::fread(chunk, 1, sizeof chunk, f)) > 0 && buf.size() <= kMaxFragmentBytes) buf.append(chunk, n);
  std::fclose(f);
  if (buf.size() > kMaxFragmentBytes) return Json::object();
  try {
    Json v = Json::parse(buf);
    return check_fragment_value(v).empty() ? v : Json::object();
  } catch (const Error&) {
    return Json::object();  // a human wrote garbage: start afresh, as the TypeScript library does
  }
}

// Replace this source's fragment whole with `data` (an object), atomically.
inline void write_fragment(const std::string& source, const Json& data, const std::string& dir = "") {
  check_source(source);
  std::string problem = check_fragment_value(data);
  if (!problem.empty()) throw Error("EW_FRAGMENT_INVALID", source + ": " + problem);
  std::string text = data.dump();
  if (text.size() > kMaxFragmentBytes) {
    throw Error("EW_FRAGMENT_TOO_BIG", source + ": fragment would be over the 1 MiB limit");
  }
  std::string folder = (std::filesystem::path(status_dir(dir)) / "status.d").string();
  detail::mkdirs(folder);
  detail::write_atomic(fragment_path(source, dir), text);
}

// Deep-merge `patch` (an object) into this source's own fragment and stamp updated_at. Returns the new
// fragment. On error (bad source, bad "status" value, invalid UTF-8, ...) nothing is written.
inline Json update_status(const std::string& source, const Json& patch, const std::string& dir = "") {
  check_source(source);
  if (!patch.is_object()) {
    throw Error("EW_FRAGMENT_INVALID", source + ": expected an object to merge, got " + patch.dump());
  }
  std::lock_guard<std::mutex> lock(detail::write_mutex());
  Json next = deep_merge(read_fragment(source, dir), patch);
  next["updated_at"] = now_iso();
  write_fragment(source, next, dir);
  return next;
}

// Set one sample of this program's own Prometheus metric `name` (the fragment's "metrics" key). With no
// labels, type or help it is a bare number (a gauge); otherwise the sample with the same labels is
// replaced and the metric's other samples are kept. Throws Error (nothing written) on a bad name,
// label or value: "edgewatch_" names and the labels device/site are reserved.
inline Json set_metric(const std::string& source, const std::string& name, double value,
                       const Json& labels = Json(), const std::string& type = "", const std::string& help = "",
                       const std::string& dir = "") {
  check_source(source);
  std::lock_guard<std::mutex> lock(detail::write_mutex());
  Json frag = read_fragment(source, dir);
  const Json* had = frag.find("metrics");
  Json metrics = had && had->is_object() ? *had : Json::object();
  if (labels.is_null() && type.empty() && help.empty()) {
    metrics[name] = Json(value);
  } else {
    const Json* old = metrics.find(name);
    Json prev = old && old->is_object() ? *old : Json::object();
    Json want = labels.is_null() ? Json::object() : labels;
    Json samples = Json::array();
    if (const Json* ps = prev.find("samples")) {
      for (const Json& s : ps->items()) {
        const Json* l = s.find("labels");
        if (detail::labels_key(l ? *l : Json::object()) != detail::labels_key(want)) samples.push_back(s);
      }
    }
    samples.push_back(Json::object().set("labels", want).set("value", value));
    Json fam = Json::object();
    const Json* pt = prev.find("type");
    fam.set("type", !type.empty() ? Json(type) : (pt ? *pt : Json("gauge")));
    if (!help.empty()) {
      fam.set("help", help);
    } else if (const Json* ph = prev.find("help")) {
      fam.set("help", *ph);
    }
    fam.set("samples", samples);
    metrics[name] = fam;
  }
  frag["metrics"] = metrics;
  frag["updated_at"] = now_iso();
  write_fragment(source, frag, dir);
  return frag;
}

// "I am alive": bump the fragment's mtime without changing it (creates it when missing).
inline void heartbeat(const std::string& source, const std::string& dir = "") {
  check_source(source);
  std::string path = fragment_path(source, dir);
  std::lock_guard<std::mutex> lock(detail::write_mutex());
  if (::utimensat(AT_FDCWD, path.c_str(), nullptr, 0) == 0) return;
  int e = errno;
  if (e != ENOENT) throw Error("EW_STATUS_WRITE", "cannot touch " + path + ": " + detail::errno_text(e));
  write_fragment(source, Json::object().set("updated_at", now_iso()), dir);
}

// Maildir name: <13-digit unix ms>-<pid>-<6-digit seq>-<6 hex>.json, so names sort in emission order.
inline std::string event_file_name() {
  static std::atomic<std::uint32_t> seq{0};
  std::uint32_t s = (seq.fetch_add(1) + 1) % 1000000u;
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                std::chrono::system_clock::now().time_since_epoch())
                .count();
  char buf[96];
  std::snprintf(buf, sizeof buf, "%013lld-%ld-%06u-%s.json", static_cast<long long>(ms),
                static_cast<long>(::getpid()), static_cast<unsigned>(s), detail::random_hex6().c_str());
  return buf;
}

// Record an event for the agent. `code` "" = none, `fields` null = none (else an object), `time` "" = now.
inline Json emit_event(const std::string& source, const std::string& level, const std::string& message,
                       const std::string& code = "", const Json& fields = Json(), const std::string& dir = "",
                       const std::string& time = "") {
  check_source(source);
  check_level(level);
  if (message.empty()) throw Error("EW_EVENT_INVALID", "\"message\": expected a non-empty string, got \"\"");
  if (!fields.is_null() && !fields.is_object()) {
    throw Error("EW_EVENT_INVALID", "\"fields\": expected an object, got " + fields.dump());
  }
  if (!time.empty() && !valid_time(time)) {
    throw Error("EW_EVENT_INVALID", "\"time\": expected an ISO 8601 time, got " + detail::quote_for_message(time));
  }
  Json ev = Json::object();
  ev.set("time", time.empty() ? now_iso() : time).set("level", level).set("source", source).set("message", message);
  if (!code.empty()) ev.set("code", code);
  if (fields.is_object()) ev.set("fields", fields);
  std::string text = ev.dump();
  if (text.size() > kMaxEventBytes) {
    throw Error("EW_EVENT_TOO_BIG",
                "event would be " + std::to_string(text.size()) + " bytes, over the 64 KiB limit");
  }
  std::filesystem::path base(status_dir(dir));
  std::string tmp_dir = (base / "events" / "tmp").string();
  std::string new_dir = (base / "events" / "new").string();
  std::error_code ec;
  std::filesystem::create_directories(tmp_dir, ec);
  if (!ec) std::filesystem::create_directories(new_dir, ec);
  if (ec) throw Error("EW_EVENT_WRITE", "cannot write event to " + new_dir + ": " + ec.message());
  std::string name = event_file_name();
  std::string from = tmp_dir + "/" + name;
  int e = detail::write_new_file(from, text);
  if (e == 0 && std::rename(from.c_str(), (new_dir + "/" + name).c_str()) != 0) {
    e = errno;
    ::unlink(from.c_str());
  }
  if (e != 0) throw Error("EW_EVENT_WRITE", "cannot write event to " + new_dir + ": " + detail::errno_text(e));
  return ev;
}

// Convenience for one program = one source: collect changes with set(), write them with commit().
class Status {
 public:
  explicit Status(std::string source, std::string dir = "") : source_(std::move(source)), dir_(std::move(dir)) {
    check_source(source_);
  }
  // Stage `dotted.key.path` = value (string, number, bool, nullptr, or a Json object/array).
  Status& set(const std::string& dotted_path, Json value) {
    patch_.set_path(dotted_path, std::move(value));
    return *this;
  }
  // Merge every staged change into the fragment at once. The staged changes are kept when it throws.
  Json commit() {
    Json out = update_status(source_, patch_, dir_);
    patch_ = Json::object();
    return out;
  }
  // Drop every staged change (e.g. after commit() refused a bad value).
  void discard() { patch_ = Json::object(); }
  void heartbeat() { edgewatch::heartbeat(source_, dir_); }
  // One sample of this program's own Prometheus metric (see set_metric).
  Json metric(const std::string& name, double value, const Json& labels = Json(), const std::string& type = "",
              const std::string& help = "") {
    return set_metric(source_, name, value, labels, type, help, dir_);
  }
  Json event(const std::string& level, const std::string& message, const std::string& code = "",
             const Json& fields = Json()) {
    return emit_event(source_, level, message, code, fields, dir_);
  }
  const std::string& source() const noexcept { return source_; }

 private:
  std::string source_;
  std::string dir_;
  Json patch_ = Json::object();
};

}  // namespace edgewatch
