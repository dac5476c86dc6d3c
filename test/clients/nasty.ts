/** Strings that must survive JSON escaping byte for byte (none of them parses as JSON by itself). */
export const NASTY = [
  'quote " backslash \\ slash / end\\',
  "newline\nand tab\tand CR\r and form feed\f and backspace\b",
  `controls:${Array.from({ length: 31 }, (_, i) => String.fromCharCode(i + 1)).join("")}\u007f.`,
  "unicode: é ü ß 日本語 🎥 \u2028 \u2029 \u00a0 end",
  "shell: $(id) `id` ${HOME} $HOME; rm -rf / && echo | cat > x 'single' \"double\"",
  "printf: %s %d %% %n \\n \\t \\u0041 not escapes",
  "awk and sed: \\\\ & \\& \\1 /x/ ~ $0 $1",
  'json-ish: {"a":1',
  "  leading and trailing spaces  ",
];
