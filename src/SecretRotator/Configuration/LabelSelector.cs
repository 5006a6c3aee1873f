using System.Text.RegularExpressions;

namespace SecretRotator.Configuration;

/// <summary>
/// Validates Kubernetes label selector syntax (equality: <c>a=b</c>, <c>a==b</c>, <c>a!=b</c>; set: <c>a in (x,y)</c>,
/// <c>a notin (x)</c>, <c>a</c>, <c>!a</c>; comparison: <c>a&gt;1</c>, <c>a&lt;1</c>) so a typo fails at start-up instead of as a 400 from the API server.
/// The selector itself is sent to the server unchanged.
/// </summary>
public static partial class LabelSelector
{
    // Label key: optional DNS-subdomain prefix + '/' + name (63 chars, alnum at both ends).
    private const string Name = "[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?";
    private const string Key = $"([a-z0-9]([-a-z0-9.]{{0,251}}[a-z0-9])?/)?{Name}";
    private const string Value = $"({Name})?";

    [GeneratedRegex($"^\\s*(?<key>{Key})\\s*(?<op>==|!=|=)\\s*(?<value>{Value})\\s*$")]
    private static partial Regex Equality();

    [GeneratedRegex($"^\\s*(?<key>{Key})\\s+(?<op>in|notin)\\s*\\((?<values>[^()]*)\\)\\s*$")]
    private static partial Regex Set();

    [GeneratedRegex($"^\\s*!?\\s*(?<key>{Key})\\s*$")]
    private static partial Regex Exists();

    [GeneratedRegex($"^\\s*{Value}\\s*$")]
    private static partial Regex SetValue();

    // Kubernetes also accepts key>N and key<N with a decimal integer (labels.Parse's gt/lt operators).
    [GeneratedRegex($"^\\s*(?<key>{Key})\\s*[<>]\\s*[0-9]{{1,18}}\\s*$")]
    private static partial Regex Comparison();

    /// <summary>Returns null when valid, else what is wrong.</summary>
    public static string? Validate(string selector)
    {
        if (string.IsNullOrWhiteSpace(selector)) return "empty selector";
        foreach (var requirement in SplitTopLevel(selector))
        {
            if (requirement.Trim().Length == 0) return "empty requirement (stray comma)";
            if (Equality().IsMatch(requirement) || Exists().IsMatch(requirement) || Comparison().IsMatch(requirement)) continue;
            var set = Set().Match(requirement);
            if (set.Success)
            {
                // As in Kubernetes: "()" is an empty set and rejected, while "(,)" holds the empty value.
                if (string.IsNullOrWhiteSpace(set.Groups["values"].Value)) return $"empty value set in '{requirement.Trim()}'";
                var values = set.Groups["values"].Value.Split(',');
                if (values.Any(v => !SetValue().IsMatch(v))) return $"invalid value list in '{requirement.Trim()}'";
                continue;
            }
            return $"invalid requirement '{requirement.Trim()}' (expected key=value, key!=value, key in (a,b), key notin (a), key, !key, key>N or key<N)";
        }
        return null;
    }

    /// <summary>
    /// Whether <paramref name="labels"/> satisfy a valid selector, with the API server's semantics (the daemon decides
    /// locally from its namespace watch). An invalid selector matches nothing.
    /// </summary>
    public static bool Matches(string selector, IDictionary<string, string>? labels)
    {
        if (Validate(selector) is not null) return false;
        labels ??= new Dictionary<string, string>();
        foreach (var requirement in SplitTopLevel(selector))
        {
            if (!MatchesOne(requirement.Trim(), labels)) return false;
        }
        return true;
    }

    private static bool MatchesOne(string requirement, IDictionary<string, string> labels)
    {
        if (Equality().Match(requirement) is { Success: true } eq)
        {
            var has = labels.TryGetValue(eq.Groups["key"].Value, out var actual);
            var same = has && actual == eq.Groups["value"].Value;
            return eq.Groups["op"].Value == "!=" ? !same : same;
        }
        if (Set().Match(requirement) is { Success: true } set)
        {
            var values = set.Groups["values"].Value.Split(',').Select(v => v.Trim()).ToHashSet(StringComparer.Ordinal);
            var has = labels.TryGetValue(set.Groups["key"].Value, out var actual);
            return set.Groups["op"].Value == "in" ? has && values.Contains(actual!) : !has || !values.Contains(actual!);
        }
        if (Comparison().IsMatch(requirement))
        {
            var greater = requirement.Contains('>', StringComparison.Ordinal);
            var parts = requirement.Split(greater ? '>' : '<', 2, StringSplitOptions.TrimEntries);
            return labels.TryGetValue(parts[0], out var actual) && long.TryParse(actual, System.Globalization.CultureInfo.InvariantCulture, out var number)
                && (greater ? number > long.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture) : number < long.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture));
        }
        var exists = Exists().Match(requirement);
        var present = labels.ContainsKey(exists.Groups["key"].Value);
        return requirement.StartsWith('!') ? !present : present;
    }

    /// <summary>Splits on commas outside parentheses.</summary>
    private static IEnumerable<string> SplitTopLevel(string selector)
    {
        var depth = 0;
        var start = 0;
        for (var i = 0; i < selector.Length; i++)
        {
            switch (selector[i])
            {
                case '(': depth++; break;
                case ')': depth--; break;
                case ',' when depth == 0:
                    yield return selector[start..i];
                    start = i + 1;
                    break;
            }
        }
        yield return selector[start..];
    }
}
