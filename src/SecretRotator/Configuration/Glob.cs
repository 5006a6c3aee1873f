using System.IO.Enumeration;

namespace SecretRotator.Configuration;

/// <summary>Namespace globs: '*' any run of characters, '?' one character; everything else literal.</summary>
public static class Glob
{
    public static bool IsPattern(string value) => value.Contains('*', StringComparison.Ordinal) || value.Contains('?', StringComparison.Ordinal);

    /// <summary>Namespace names are DNS-1123 labels, so a glob may hold only [a-z0-9-*?].</summary>
    public static string? Validate(string glob)
    {
        if (glob.Length == 0) return "empty pattern";
        if (glob.Length > 63) return "longer than 63 characters (a namespace name is at most 63)";
        foreach (var c in glob)
        {
            if (c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '-' or '*' or '?') continue;
            return $"character '{c}' cannot appear in a namespace name (allowed: a-z, 0-9, '-', and the wildcards '*' '?')";
        }
        return null;
    }

    /// <summary>Whether any of <paramref name="globs"/> matches. An index loop: a pass asks this for every listed namespace.</summary>
    public static bool MatchesAny(IReadOnlyList<string> globs, string value)
    {
        for (var i = 0; i < globs.Count; i++)
        {
            if (IsMatch(globs[i], value)) return true;
        }
        return false;
    }

    /// <summary>'*' any run of characters except a line break, '?' exactly one (a validated glob holds nothing else special).
    /// No allocation: a pass matches every listed namespace against every glob.</summary>
    public static bool IsMatch(string glob, string value) =>
        IsPattern(glob)
            ? !value.Contains('\n', StringComparison.Ordinal) && FileSystemName.MatchesSimpleExpression(glob, value, ignoreCase: false)
            : string.Equals(glob, value, StringComparison.Ordinal);
}
