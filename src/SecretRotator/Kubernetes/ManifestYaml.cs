using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using k8s;

namespace SecretRotator.Kubernetes;

/// <summary>
/// Writes a Kubernetes object as YAML the way <c>kubectl -o yaml</c> does (sigs.k8s.io/yaml over go-yaml v2):
/// keys in go-yaml's order, lists at their key's indentation, and every string that a YAML 1.1 parser (PyYAML,
/// Ansible, Helm's fromYaml) would read as something else quoted: timestamps, yes/no/on/off/y/n, numbers, null, ~.
/// Unlike kubectl it never folds long lines (the objects we write have no spaces in long values).
/// </summary>
public static partial class ManifestYaml
{
    public static string Serialize(object kubernetesObject)
    {
        var node = JsonNode.Parse(KubernetesJson.Serialize(kubernetesObject));
        var text = new StringBuilder();
        if (node is JsonObject map) WriteMapping(text, map, 0);
        else text.Append(Scalar(node)).Append('\n');
        return text.ToString();
    }

    private static void WriteMapping(StringBuilder text, JsonObject map, int indent)
    {
        foreach (var (key, value) in map.OrderBy(p => p.Key, GoYamlKeyOrder.Instance))
        {
            text.Append(' ', indent).Append(Scalar(key)).Append(':');
            WriteValue(text, value, indent, inSequence: false);
        }
    }

    private static void WriteValue(StringBuilder text, JsonNode? value, int indent, bool inSequence)
    {
        switch (value)
        {
            case JsonObject { Count: > 0 } map:
                text.Append('\n');
                WriteMapping(text, map, indent + 2);
                break;
            case JsonArray { Count: > 0 } list:
                text.Append('\n');
                // go-yaml v2 writes a list at its key's indentation; a list inside a list is indented.
                foreach (var item in list) WriteItem(text, item, inSequence ? indent + 2 : indent);
                break;
            case JsonObject:
                text.Append(" {}\n");
                break;
            case JsonArray:
                text.Append(" []\n");
                break;
            case JsonValue v when v.TryGetValue<string>(out var s) && s.Contains('\n', StringComparison.Ordinal) && BlockAllowed(s):
                WriteLiteral(text, s, indent + 2);
                break;
            default:
                text.Append(' ').Append(Scalar(value)).Append('\n');
                break;
        }
    }

    private static void WriteItem(StringBuilder text, JsonNode? item, int indent)
    {
        text.Append(' ', indent).Append('-');
        if (item is JsonObject { Count: > 0 } map)
        {
            // The first key goes on the dash's line; the others line up under it.
            var inner = new StringBuilder();
            WriteMapping(inner, map, indent + 2);
            text.Append(' ').Append(inner.ToString(indent + 2, inner.Length - indent - 2));
        }
        else
        {
            WriteValue(text, item, indent, inSequence: true);
        }
    }

    private static void WriteLiteral(StringBuilder text, string s, int indent)
    {
        var trailing = s.Length - s.TrimEnd('\n').Length;
        text.Append(" |");
        if (s[0] is ' ' or '\n') text.Append('2');
        text.Append(trailing switch { 0 => "-", 1 => "", _ => "+" }).Append('\n');
        var body = trailing == 0 ? s : s[..^1];
        foreach (var line in body.Split('\n'))
        {
            if (line.Length > 0) text.Append(' ', indent).Append(line);
            text.Append('\n');
        }
    }

    private static string Scalar(JsonNode? node) => node switch
    {
        null => "null",
        JsonValue v when v.TryGetValue<string>(out var s) => Scalar(s),
        JsonValue v when v.TryGetValue<bool>(out var b) => b ? "true" : "false",
        _ => node.ToJsonString(),
    };

    /// <summary>Plain when safe; double quotes when a YAML 1.1 reader would take it for another type; else libyaml's choice.</summary>
    internal static string Scalar(string s)
    {
        if (s.Length == 0 || !IsPlainString(s) || s.Contains('\n', StringComparison.Ordinal)) return DoubleQuoted(s);
        var (plainAllowed, singleQuotedAllowed) = Analyze(s);
        if (plainAllowed) return s;
        return singleQuotedAllowed ? $"'{s.Replace("'", "''", StringComparison.Ordinal)}'" : DoubleQuoted(s);
    }

    /// <summary>go-yaml v2's resolve: does the plain scalar <paramref name="s"/> read back as a string?</summary>
    internal static bool IsPlainString(string s)
    {
        if (Base60Float().IsMatch(s)) return false;
        switch (s[0])
        {
            case '+' or '-' or (>= '0' and <= '9') or '.' or 'y' or 'Y' or 'n' or 'N' or 't' or 'T' or 'f' or 'F' or 'o' or 'O' or '~':
                break;
            default:
                return true;
        }
        if (Keywords.Contains(s)) return false;
        if (s[0] == '.') return !double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out _);
        if (s[0] is not ('+' or '-' or (>= '0' and <= '9'))) return true;
        if (IsTimestamp(s)) return false;
        var plain = s.Replace("_", "", StringComparison.Ordinal);
        return !GoInteger().IsMatch(plain) && !YamlFloat().IsMatch(plain);
    }

    private static readonly HashSet<string> Keywords = new(StringComparer.Ordinal)
    {
        "y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO", "true", "True", "TRUE", "false", "False", "FALSE",
        "on", "On", "ON", "off", "Off", "OFF", "~", "null", "Null", "NULL",
        ".nan", ".NaN", ".NAN", ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf", "-.INF",
    };

    /// <summary>The timestamp forms go-yaml accepts: 2006-1-2, with T/t or a space and a time, zone required after T.</summary>
    private static bool IsTimestamp(string s)
    {
        var m = Timestamp().Match(s);
        if (!m.Success) return false;
        int Part(string name) => m.Groups[name].Success ? int.Parse(m.Groups[name].ValueSpan, CultureInfo.InvariantCulture) : 0;
        var (year, month, day) = (Part("y"), Part("mo"), Part("d"));
        if (month is < 1 or > 12 || day < 1 || day > DateTime.DaysInMonth(Math.Max(1, year), month)) return false;
        if (!m.Groups["h"].Success) return true;
        var separator = m.Groups["sep"].Value;
        var zoned = m.Groups["zone"].Success;
        if (separator != " " && !zoned) return false;
        if (separator == " " && zoned) return false;
        return Part("h") < 24 && Part("mi") < 60 && Part("s") < 60;
    }

    [GeneratedRegex(@"^(?<y>\d{4})-(?<mo>\d{1,2})-(?<d>\d{1,2})(?:(?<sep>[Tt ])(?<h>\d{1,2}):(?<mi>\d{1,2}):(?<s>\d{1,2})(?:\.\d+)?(?<zone>Z|[+-]\d{2}:\d{2})?)?\z")]
    private static partial Regex Timestamp();

    // strconv.ParseInt/ParseUint with base 0: decimal, 0x hex, 0o or leading-0 octal, 0b binary.
    [GeneratedRegex(@"^[-+]?(?:[0-9]+|0[xX][0-9a-fA-F]+|0[oO]?[0-7]+|0[bB][01]+)\z")]
    private static partial Regex GoInteger();

    [GeneratedRegex(@"^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?\z")]
    private static partial Regex YamlFloat();

    [GeneratedRegex(@"^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?\z")]
    private static partial Regex Base60Float();

    /// <summary>libyaml's yaml_emitter_analyze_scalar, block context: may it be plain, or single-quoted?</summary>
    private static (bool Plain, bool SingleQuoted) Analyze(string s)
    {
        if (s.StartsWith("---", StringComparison.Ordinal) || s.StartsWith("...", StringComparison.Ordinal)) return (false, true);
        var blockIndicators = false;
        var special = false;
        for (var i = 0; i < s.Length; i++)
        {
            var c = s[i];
            var followedBySpace = i + 1 >= s.Length || s[i + 1] is ' ' or '\t' or '\n' or '\r';
            var precededBySpace = i == 0 || s[i - 1] is ' ' or '\t' or '\n' or '\r';
            if (i == 0)
            {
                if ("#,[]{}&*!|>'\"%@`".Contains(c, StringComparison.Ordinal)) blockIndicators = true;
                if (c is '?' or ':' or '-' && followedBySpace) blockIndicators = true;
            }
            else
            {
                if (c == ':' && followedBySpace) blockIndicators = true;
                if (c == '#' && precededBySpace) blockIndicators = true;
            }
            if (!IsPrintable(c)) special = true;
        }
        if (special) return (false, false);
        var edgeSpace = s[0] == ' ' || s[^1] == ' ';
        return (!blockIndicators && !edgeSpace, true);
    }

    private static bool IsPrintable(char c) =>
        c is '\n' or (>= ' ' and <= '~') or '\u0085' or (>= '\u00a0' and <= '\ud7ff') or (>= '\ue000' and <= '\ufffd') && c != '\ufeff'
        || char.IsSurrogate(c);

    private static bool BlockAllowed(string s) =>
        s.All(c => IsPrintable(c) && c != '\r') && !s.Contains(" \n", StringComparison.Ordinal) && s[^1] != ' ';

    private static string DoubleQuoted(string s)
    {
        var text = new StringBuilder("\"");
        foreach (var c in s)
        {
            text.Append(c switch
            {
                '"' => "\\\"",
                '\\' => "\\\\",
                '\0' => "\\0",
                '\a' => "\\a",
                '\b' => "\\b",
                '\t' => "\\t",
                '\n' => "\\n",
                '\v' => "\\v",
                '\f' => "\\f",
                '\r' => "\\r",
                '\u001b' => "\\e",
                '\u0085' => "\\N",
                '\u00a0' => "\\_",
                '\u2028' => "\\L",
                '\u2029' => "\\P",
                _ when !IsPrintable(c) && c <= '\u00ff' => $"\\x{(int)c:X2}",
                _ when !IsPrintable(c) => $"\\u{(int)c:X4}",
                _ => c.ToString(),
            });
        }
        return text.Append('"').ToString();
    }

    /// <summary>go-yaml v2's key order: letters by code point, a non-letter before a letter, digit runs by value.</summary>
    private sealed class GoYamlKeyOrder : IComparer<string>
    {
        public static readonly GoYamlKeyOrder Instance = new();

        public int Compare(string? x, string? y)
        {
            if (ReferenceEquals(x, y)) return 0;
            if (x is null || y is null) return x is null ? -1 : 1;
            if (x == y) return 0;
            return Less(x, y) ? -1 : Less(y, x) ? 1 : string.CompareOrdinal(x, y);
        }

        private static bool Less(string a, string b)
        {
            for (var i = 0; i < a.Length && i < b.Length; i++)
            {
                if (a[i] == b[i]) continue;
                var (al, bl) = (char.IsLetter(a[i]), char.IsLetter(b[i]));
                if (al && bl) return a[i] < b[i];
                if (al || bl) return bl;
                long an = 0, bn = 0;
                if (a[i] == '0' || b[i] == '0')
                {
                    for (var j = i - 1; j >= 0 && char.IsDigit(a[j]); j--)
                    {
                        if (a[j] != '0') { an = 1; bn = 1; break; }
                    }
                }
                int ai, bi;
                for (ai = i; ai < a.Length && char.IsDigit(a[ai]); ai++) an = an * 10 + (a[ai] - '0');
                for (bi = i; bi < b.Length && char.IsDigit(b[bi]); bi++) bn = bn * 10 + (b[bi] - '0');
                if (an != bn) return an < bn;
                if (ai != bi) return ai < bi;
                return a[i] < b[i];
            }
            return a.Length < b.Length;
        }
    }
}
