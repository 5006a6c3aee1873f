using SecretRotator.Configuration;

namespace SecretRotator.Tests.Scheduling;

public sealed class CronScheduleTests
{
    private static readonly DateTimeOffset Wednesday = new(2026, 11, 25, 12, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData("*/15 * * * *", "2026-11-25T12:15:00Z")]
    [InlineData("0 3 * * *", "2026-11-26T03:00:00Z")]
    [InlineData("0 3 * * 0", "2026-11-29T03:00:00Z")] // Sunday as 0
    [InlineData("0 3 * * 7", "2026-11-29T03:00:00Z")] // Sunday as 7
    [InlineData("0 3 * * 1-5", "2026-11-26T03:00:00Z")] // weekdays
    [InlineData("0 0 1 * *", "2026-12-01T00:00:00Z")]
    [InlineData("0 0 */6 * * ?", "2026-11-25T18:00:00Z")] // Quartz, 6 fields
    public void Parse_ValidExpression_NextFireInUtc(string text, string expected)
    {
        var (cron, error) = CronSchedule.Parse(text);

        Assert.Null(error);
        Assert.Equal(DateTimeOffset.Parse(expected, System.Globalization.CultureInfo.InvariantCulture), cron!.GetNextValidTimeAfter(Wednesday));
    }

    [Theory]
    [InlineData("every hour", "expected a cron expression with 5 fields")]
    [InlineData("0 3 1 * 1", "cannot restrict both day-of-month and day-of-week")]
    [InlineData("61 * * * *", "invalid cron expression")]
    [InlineData("0 0 0 * * * * *", "got 8")]
    public void Parse_InvalidExpression_SaysWhatIsWrong(string text, string problem)
    {
        var (cron, error) = CronSchedule.Parse(text);

        Assert.Null(cron);
        Assert.Contains(problem, error, StringComparison.Ordinal);
    }
}
