namespace SecretRotator.Tests.Fakes.Telemetry;

/// <summary>
/// Polls an external process (Prometheus scraping on its own clock) until a condition holds or a deadline passes.
/// Only for real external processes; in-process code is awaited directly.
/// </summary>
internal static class Poll
{
    public static async Task UntilAsync(Func<Task<bool>> condition, TimeSpan deadline, Func<string> failure, CancellationToken ct)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(100));
        var giveUpAt = DateTime.UtcNow + deadline;
        while (!await condition())
        {
            if (DateTime.UtcNow > giveUpAt) Assert.Fail(failure());
            await timer.WaitForNextTickAsync(ct);
        }
    }
}
