using SecretRotator.Configuration;

namespace SecretRotator.Tests.Configuration;

public sealed class DurationTests
{
    [Theory]
    [InlineData("45s", 45)]
    [InlineData("30m", 30 * 60)]
    [InlineData("90m", 90 * 60)]
    [InlineData("1h", 3600)]
    [InlineData("1h30m", 5400)]
    [InlineData("2d", 2 * 86400)]
    [InlineData("1d2h3m4s", 86400 + 7200 + 180 + 4)]
    [InlineData("0s", 0)]
    [InlineData("007m", 7 * 60)]
    public void TryParse_GoStyleDuration_ReturnsSeconds(string text, long seconds)
    {
        var ok = Duration.TryParse(text, out var value);

        Assert.True(ok);
        Assert.Equal(TimeSpan.FromSeconds(seconds), value);
    }

    [Theory]
    [InlineData("")]
    [InlineData("1")]
    [InlineData("h")]
    [InlineData("1.5h")]
    [InlineData("-1h")]
    [InlineData("+1h")]
    [InlineData("1ms")]
    [InlineData(" 1h")]
    [InlineData("1h ")]
    [InlineData("1m1h")]
    [InlineData("1H")]
    [InlineData("1h30")]
    [InlineData("1h\n")]
    [InlineData("\u0663s")] // ARABIC-INDIC DIGIT THREE: a regex \d match that long.Parse rejects
    [InlineData("\uff11h")] // FULLWIDTH DIGIT ONE
    [InlineData("99999999999999999999s")]
    [InlineData("9999999999999999d")]
    [InlineData("1111111111111111111111111111111111s")]
    public void TryParse_NotADuration_ReturnsFalse(string text)
    {
        var ok = Duration.TryParse(text, out var value);

        Assert.False(ok);
        Assert.Equal(TimeSpan.Zero, value);
    }

    [Theory]
    [InlineData(0, "0s")]
    [InlineData(45, "45s")]
    [InlineData(5400, "1h30m")]
    [InlineData(7 * 86400, "7d")]
    [InlineData(86400 + 3661, "1d1h1m1s")]
    public void Format_Duration_WritesGoStyle(long seconds, string expected)
    {
        var text = Duration.Format(TimeSpan.FromSeconds(seconds));

        Assert.Equal(expected, text);
        Assert.True(Duration.TryParse(text, out var back));
        Assert.Equal(TimeSpan.FromSeconds(seconds), back);
    }
}
