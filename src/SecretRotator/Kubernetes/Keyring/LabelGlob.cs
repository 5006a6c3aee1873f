namespace SecretRotator.Kubernetes.Keyring;

/// <summary>
/// Matches one dot-separated host label against one label of a key, with the syntax of Go's filepath.Match that
/// kubelet uses: <c>*</c> any run of characters, <c>?</c> one character, <c>[a-z]</c> / <c>[^0-9]</c> classes,
/// <c>\</c> escapes. Case-sensitive. A malformed pattern matches nothing (kubelet drops the error as a miss).
/// </summary>
public static class LabelGlob
{
    public static bool IsPattern(string label) => label.AsSpan().IndexOfAny("*?[\\") >= 0;

    public static bool Matches(string pattern, string label) => Match(pattern, 0, label, 0) == true;

    /// <returns>null when the pattern is malformed.</returns>
    private static bool? Match(string p, int pi, string s, int si)
    {
        while (pi < p.Length)
        {
            switch (p[pi])
            {
                case '*':
                    // Try every split; the rest of the pattern must still be well formed even when nothing is left to match.
                    for (var k = s.Length; k >= si; k--)
                    {
                        var rest = Match(p, pi + 1, s, k);
                        if (rest != false) return rest;
                    }
                    return false;
                case '?':
                    if (si >= s.Length) return Malformed(p, pi + 1) ? null : false;
                    pi++;
                    si++;
                    break;
                case '[':
                    var (matched, next) = Class(p, pi, si < s.Length ? s[si] : '\0');
                    if (next < 0) return null;
                    if (si >= s.Length || !matched) return Malformed(p, next) ? null : false;
                    pi = next;
                    si++;
                    break;
                case '\\':
                    if (pi + 1 >= p.Length) return null;
                    if (si >= s.Length || s[si] != p[pi + 1]) return Malformed(p, pi + 2) ? null : false;
                    pi += 2;
                    si++;
                    break;
                default:
                    if (si >= s.Length || s[si] != p[pi]) return Malformed(p, pi + 1) ? null : false;
                    pi++;
                    si++;
                    break;
            }
        }
        return si == s.Length;
    }

    /// <summary>A class starting at p[start] == '['; next is the index after ']' or -1 when malformed.</summary>
    private static (bool Matched, int Next) Class(string p, int start, char c)
    {
        var i = start + 1;
        var negated = i < p.Length && p[i] == '^';
        if (negated) i++;
        var matched = false;
        var ranges = 0;
        while (true)
        {
            if (i >= p.Length) return (false, -1);
            if (p[i] == ']' && ranges > 0) return (matched != negated, i + 1);
            if (!ClassChar(p, ref i, out var lo)) return (false, -1);
            var hi = lo;
            if (i < p.Length && p[i] == '-')
            {
                i++;
                if (!ClassChar(p, ref i, out hi)) return (false, -1);
            }
            if (lo <= c && c <= hi) matched = true;
            ranges++;
        }
    }

    private static bool ClassChar(string p, ref int i, out char c)
    {
        c = '\0';
        if (i >= p.Length || p[i] is '-' or ']') return false;
        if (p[i] == '\\')
        {
            if (++i >= p.Length) return false;
        }
        c = p[i++];
        return true;
    }

    // Go checks the rest of a pattern for syntax errors even after a mismatch.
    private static bool Malformed(string p, int from)
    {
        for (var i = from; i < p.Length; i++)
        {
            if (p[i] == '\\' && ++i >= p.Length) return true;
            if (p[i] == '[')
            {
                var (_, next) = Class(p, i, '\0');
                if (next < 0) return true;
                i = next - 1;
            }
        }
        return false;
    }
}
