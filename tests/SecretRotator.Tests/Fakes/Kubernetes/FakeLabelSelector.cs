using System.Globalization;
using System.Text.RegularExpressions;

namespace SecretRotator.Tests.Fakes.Kubernetes;

/// <summary>
/// Server-side label selector evaluation for the fake, written independently of the product's validator so the two
/// check each other: <c>k=v</c>, <c>k==v</c>, <c>k!=v</c>, <c>k in (a,b)</c>, <c>k notin (a)</c>, <c>k</c>, <c>!k</c>,
/// <c>k&gt;1</c>, <c>k&lt;1</c>, comma = AND. Semantics follow k8s.io/apimachinery/pkg/labels: != and notin match a missing key.
/// </summary>
internal sealed partial class FakeLabelSelector
{
    private readonly List<Func<IReadOnlyDictionary<string, string>, bool>> _requirements;

    private FakeLabelSelector(List<Func<IReadOnlyDictionary<string, string>, bool>> requirements) => _requirements = requirements;

    public static FakeLabelSelector Everything { get; } = new([]);

    public bool Matches(IReadOnlyDictionary<string, string> labels) => _requirements.TrueForAll(r => r(labels));

    /// <summary>Parses a selector; throws <see cref="FormatException"/> with the reason when it is malformed.</summary>
    public static FakeLabelSelector Parse(string? selector)
    {
        if (string.IsNullOrWhiteSpace(selector))
        {
            return Everything;
        }
        var tokens = Tokenize(selector);
        var pos = 0;
        var requirements = new List<Func<IReadOnlyDictionary<string, string>, bool>>();
        while (true)
        {
            requirements.Add(ParseRequirement(tokens, ref pos));
            var separator = tokens[pos++];
            if (separator == End)
            {
                return new FakeLabelSelector(requirements);
            }
            if (separator != ",")
            {
                throw new FormatException($"found '{separator}', expected: ',' or 'end of string'");
            }
        }
    }

    private const string End = "\0";
    private static readonly HashSet<string> Operators = ["!", "=", "==", "!=", "in", "notin", "(", ")", ",", ">", "<", End];

    private static Func<IReadOnlyDictionary<string, string>, bool> ParseRequirement(List<string> tokens, ref int pos)
    {
        if (tokens[pos] == "!")
        {
            pos++;
            var absent = Key(tokens[pos++]);
            return labels => !labels.ContainsKey(absent);
        }
        var key = Key(tokens[pos++]);
        var op = tokens[pos];
        switch (op)
        {
            case "," or End:
                return labels => labels.ContainsKey(key);
            case "=" or "==" or "!=":
                pos++;
                var value = IsIdentifier(tokens[pos]) ? Value(tokens[pos++]) : "";
                return op == "!="
                    ? labels => !labels.TryGetValue(key, out var v) || v != value
                    : labels => labels.TryGetValue(key, out var v) && v == value;
            case "in" or "notin":
                pos++;
                var set = ParseSet(tokens, ref pos);
                return op == "in"
                    ? labels => labels.TryGetValue(key, out var v) && set.Contains(v)
                    : labels => !labels.TryGetValue(key, out var v) || !set.Contains(v);
            case ">" or "<":
                pos++;
                if (!long.TryParse(tokens[pos++], NumberStyles.Integer, CultureInfo.InvariantCulture, out var bound))
                {
                    throw new FormatException($"for '{op}' operator, the value must be an integer");
                }
                return labels => labels.TryGetValue(key, out var v) && long.TryParse(v, CultureInfo.InvariantCulture, out var n)
                    && (op == ">" ? n > bound : n < bound);
            default:
                throw new FormatException($"found '{Show(op)}', expected: in, notin, =, ==, !=, gt, lt");
        }
    }

    private static HashSet<string> ParseSet(List<string> tokens, ref int pos)
    {
        if (tokens[pos++] != "(")
        {
            throw new FormatException($"found '{Show(tokens[pos - 1])}', expected: '('");
        }
        var set = new HashSet<string>(StringComparer.Ordinal);
        while (true)
        {
            set.Add(IsIdentifier(tokens[pos]) ? Value(tokens[pos++]) : "");
            var next = tokens[pos++];
            if (next == ")")
            {
                return set;
            }
            if (next != ",")
            {
                throw new FormatException($"found '{Show(next)}', expected: ',', ')'");
            }
        }
    }

    private static List<string> Tokenize(string selector)
    {
        var tokens = new List<string>();
        var i = 0;
        while (i < selector.Length)
        {
            var c = selector[i];
            if (char.IsWhiteSpace(c))
            {
                i++;
            }
            else if (c is '=' or '!' && i + 1 < selector.Length && selector[i + 1] == '=')
            {
                tokens.Add(c == '=' ? "==" : "!=");
                i += 2;
            }
            else if (c is '!' or '=' or '(' or ')' or ',' or '<' or '>')
            {
                tokens.Add(c.ToString());
                i++;
            }
            else
            {
                var start = i;
                while (i < selector.Length && !char.IsWhiteSpace(selector[i]) && selector[i] is not ('!' or '=' or '(' or ')' or ',' or '<' or '>'))
                {
                    i++;
                }
                tokens.Add(selector[start..i]);
            }
        }
        tokens.Add(End);
        return tokens;
    }

    private static bool IsIdentifier(string token) => !Operators.Contains(token);

    private static string Key(string token)
    {
        if (!IsIdentifier(token) || !KeyPattern().IsMatch(token))
        {
            throw new FormatException($"found '{Show(token)}', expected: a valid label key");
        }
        return token;
    }

    private static string Value(string token) =>
        ValuePattern().IsMatch(token) ? token : throw new FormatException($"invalid label value: \"{token}\"");

    private static string Show(string token) => token == End ? "" : token;

    // Qualified name: optional DNS-subdomain prefix, then a 1-63 char name with alphanumerics at both ends.
    [GeneratedRegex("^([a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$")]
    private static partial Regex KeyPattern();

    [GeneratedRegex("^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$")]
    private static partial Regex ValuePattern();
}
