namespace SecretRotator.Kubernetes.Watching;

/// <summary>Jittered exponential backoff for re-watching, and the server-side watch timeout (randomised as client-go does).</summary>
public sealed class WatchBackoff(TimeSpan initial, TimeSpan max, TimeSpan watchTimeout, Random random)
{
    /// <summary>"Full jitter" on the upper half: between half and all of min(max, initial * 2^(failures-1)).</summary>
    public TimeSpan Delay(int failures)
    {
        var ceiling = TimeSpan.FromTicks(Math.Min(max.Ticks, initial.Ticks << Math.Clamp(failures - 1, 0, 20)));
        return ceiling / 2 + ceiling / 2 * random.NextDouble();
    }

    /// <summary>Between one and two times the watch timeout (5 to 10 minutes by default), so streams do not all end at once.</summary>
    public int WatchTimeoutSeconds()
    {
        var seconds = Math.Max(1, (int)watchTimeout.TotalSeconds);
        return seconds + random.Next(seconds);
    }
}
