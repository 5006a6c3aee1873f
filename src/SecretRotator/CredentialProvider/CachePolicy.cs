using System.Globalization;

namespace SecretRotator.CredentialProvider;

/// <summary>
/// How long kubelet may keep our answer. kubelet re-execs the plugin only when its cache entry is gone, so the entry
/// must die well before the credential does: half the remaining validity leaves the other half as margin for pulls
/// that start just before the entry expires and for clock skew between node and issuer. A credential with less than
/// <see cref="AboutToExpire"/> left is answered with 0 (use once, never cache): half of it would be too short to help,
/// and caching it would hand out a credential that dies mid-pull. A credential without expiry (static) gets no
/// cacheDuration, so the operator's defaultCacheDuration decides how soon a rotated file or variable is seen.
/// </summary>
public static class CachePolicy
{
    public static readonly TimeSpan AboutToExpire = TimeSpan.FromMinutes(2);

    /// <summary>The response's cacheDuration as a Go duration, or null for "kubelet's default".</summary>
    public static string? CacheDuration(DateTimeOffset? expiresAt, DateTimeOffset now)
    {
        if (expiresAt is not { } expiry) return null;
        var remaining = expiry - now;
        if (remaining < AboutToExpire) return GoDuration.Format(TimeSpan.Zero);
        return GoDuration.Format(TimeSpan.FromSeconds(Math.Floor(remaining.TotalSeconds / 2)));
    }
}

/// <summary>metav1.Duration's JSON form: Go's time.Duration.String() and time.ParseDuration, for whole units we use.</summary>
public static class GoDuration
{
    /// <summary>"0s", "45s", "5m0s", "6h0m0s" (Go prints every unit below the largest; sub-second parts are dropped).</summary>
    public static string Format(TimeSpan value)
    {
        var seconds = (long)Math.Floor(value.TotalSeconds);
        if (seconds <= 0) return "0s";
        var (h, m, s) = (seconds / 3600, seconds / 60 % 60, seconds % 60);
        return h > 0 ? string.Create(CultureInfo.InvariantCulture, $"{h}h{m}m{s}s")
            : m > 0 ? string.Create(CultureInfo.InvariantCulture, $"{m}m{s}s")
            : string.Create(CultureInfo.InvariantCulture, $"{s}s");
    }

    /// <summary>time.ParseDuration for the units kubelet configs use (h, m, s, ms, us, ns, decimals); null when invalid.</summary>
    public static TimeSpan? TryParse(string? text)
    {
        if (string.IsNullOrEmpty(text)) return null;
        var rest = text.AsSpan();
        var negative = rest[0] == '-';
        if (rest[0] is '-' or '+') rest = rest[1..];
        if (rest.SequenceEqual("0")) return TimeSpan.Zero;
        if (rest.IsEmpty) return null;
        double ticks = 0;
        while (!rest.IsEmpty)
        {
            var numberEnd = 0;
            while (numberEnd < rest.Length && (char.IsAsciiDigit(rest[numberEnd]) || rest[numberEnd] == '.')) numberEnd++;
            if (numberEnd == 0 || !double.TryParse(rest[..numberEnd], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number)) return null;
            rest = rest[numberEnd..];
            var unitEnd = 0;
            while (unitEnd < rest.Length && !char.IsAsciiDigit(rest[unitEnd]) && rest[unitEnd] != '.') unitEnd++;
            double? perUnit = rest[..unitEnd] switch
            {
                "h" => TimeSpan.TicksPerHour,
                "m" => TimeSpan.TicksPerMinute,
                "s" => TimeSpan.TicksPerSecond,
                "ms" => TimeSpan.TicksPerMillisecond,
                "us" or "µs" or "μs" => 10,
                "ns" => 0.01,
                _ => null,
            };
            if (perUnit is not { } unit) return null;
            ticks += number * unit;
            rest = rest[unitEnd..];
        }
        return TimeSpan.FromTicks((long)(negative ? -ticks : ticks));
    }
}
