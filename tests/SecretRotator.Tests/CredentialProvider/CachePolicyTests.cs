using SecretRotator.CredentialProvider;

namespace SecretRotator.Tests.CredentialProvider;

public sealed class CachePolicyTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 7, 12, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData(12 * 3600, "6h0m0s")]     // ECR: 12 h token
    [InlineData(3600, "30m0s")]           // Entra / Google: 1 h
    [InlineData(3 * 3600 + 61, "1h30m30s")]
    [InlineData(121, "1m0s")]
    [InlineData(119, "0s")]               // about to expire: use once, never cache
    [InlineData(-10, "0s")]
    public void CacheDuration_ExpiringCredential_HalfTheRemainingValidityOrZero(int secondsLeft, string expected)
    {
        // Act
        var duration = CachePolicy.CacheDuration(Now.AddSeconds(secondsLeft), Now);

        // Assert
        Assert.Equal(expected, duration);
    }

    [Fact]
    public void CacheDuration_NoExpiry_LeavesItToKubeletsDefault()
    {
        // Act
        var duration = CachePolicy.CacheDuration(null, Now);

        // Assert
        Assert.Null(duration);
    }

    [Theory]
    [InlineData("0s", 0)]
    [InlineData("0", 0)]
    [InlineData("6h0m0s", 6 * 3600)]
    [InlineData("1h30m30s", 5430)]
    [InlineData("1.5h", 5400)]
    [InlineData("1500ms", 1.5)]
    public void TryParse_GoDuration_ReadsItAsGoDoes(string text, double seconds)
    {
        // Act
        var parsed = GoDuration.TryParse(text);

        // Assert
        Assert.Equal(TimeSpan.FromSeconds(seconds), parsed);
    }

    [Theory]
    [InlineData("")]
    [InlineData("6")]
    [InlineData("1d")]
    [InlineData("h")]
    public void TryParse_NotAGoDuration_Null(string text)
    {
        // Act
        var parsed = GoDuration.TryParse(text);

        // Assert
        Assert.Null(parsed);
    }
}
