namespace SecretRotator.Kubernetes.Watching;

/// <summary>What a watch loop counts. Telemetry's RotatorMetrics implements it, so the loop names no metrics class.</summary>
public interface IWatchMetrics
{
    /// <param name="reason">A short machine word, never free text.</param>
    void WatchRestart(string resource, string reason);

    void WatchEvent(string resource, string type);
}
