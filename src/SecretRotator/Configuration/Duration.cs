using System.Globalization;
using System.Text.RegularExpressions;

namespace SecretRotator.Configuration;

/// <summary>Go-style durations (the format Kubernetes users already write): 45s, 30m, 1h30m, 2d.</summary>
public static partial class Duration
{
    // [0-9], not \d: \d also matches other scripts' digits, which long.Parse then rejects with an exception.
    // \z, not $: '$' also matches before a final newline.
    [GeneratedRegex(@"^(?:([0-9]+)d)?(?:([0-9]+)h)?(?:([0-9]+)m)?(?:([0-9]+)s)?\z", RegexOptions.CultureInvariant)]
    private static partial Regex Pattern();

    public static bool TryParse(string text, out TimeSpan value)
    {
        value = default;
        if (string.IsNullOrEmpty(text) || text.Length > 32) return false;
        var m = Pattern().Match(text);
        if (!m.Success) return false;
        long Part(int i) => m.Groups[i].Success ? long.Parse(m.Groups[i].Value, CultureInfo.InvariantCulture) : 0;
        try
        {
            var seconds = checked((((Part(1) * 24) + Part(2)) * 60 + Part(3)) * 60 + Part(4));
            if (seconds > TimeSpan.MaxValue.TotalSeconds / 2) return false;
            value = TimeSpan.FromSeconds(seconds);
            return true;
        }
        catch (OverflowException)
        {
            return false;
        }
    }

    public static string Format(TimeSpan value)
    {
        if (value == TimeSpan.Zero) return "0s";
        var parts = new System.Text.StringBuilder();
        if (value.Days > 0) parts.Append(CultureInfo.InvariantCulture, $"{value.Days}d");
        if (value.Hours > 0) parts.Append(CultureInfo.InvariantCulture, $"{value.Hours}h");
        if (value.Minutes > 0) parts.Append(CultureInfo.InvariantCulture, $"{value.Minutes}m");
        if (value.Seconds > 0) parts.Append(CultureInfo.InvariantCulture, $"{value.Seconds}s");
        return parts.ToString();
    }
}
