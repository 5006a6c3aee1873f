namespace SecretRotator.Scheduling;

/// <summary>The daemon's knobs: the CLI sets the first group; the timings are for tests and unusual clusters.</summary>
public sealed class DaemonOptions
{
    public int Port { get; set; } = 8080;
    public bool LeaderElect { get; set; } = true;
    public string LeaseName { get; set; } = "secret-rotator";
    public string LeaseNamespace { get; set; } = "default";
    public string Identity { get; set; } = Environment.MachineName;
    /// <summary>Namespace-scoped RBAC (--namespaced): watch each named namespace instead of the whole cluster.</summary>
    public bool Namespaced { get; set; }
    /// <summary>--webhook-port: serve the admission webhook over TLS on this port (null: no webhook).</summary>
    public int? WebhookPort { get; set; }
    public string? TlsCertFile { get; set; }
    public string? TlsPrivateKeyFile { get; set; }

    /// <summary>client-go's defaults: a standby takes over at most this long after the leader stops renewing.</summary>
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromSeconds(15);
    public TimeSpan RenewDeadline { get; set; } = TimeSpan.FromSeconds(10);
    public TimeSpan RetryPeriod { get; set; } = TimeSpan.FromSeconds(2);

    public TimeSpan WatchBackoffInitial { get; set; } = TimeSpan.FromSeconds(1);
    public TimeSpan WatchBackoffMax { get; set; } = TimeSpan.FromSeconds(60);
    /// <summary>Server-side watch timeout (randomised up to twice this): every stream ends and resumes that often.</summary>
    public TimeSpan WatchTimeout { get; set; } = TimeSpan.FromMinutes(5);
    /// <summary>/healthz fails when a watch loop has made no progress for this long (longer than the longest watch stream).</summary>
    public TimeSpan StuckAfter { get; set; } = TimeSpan.FromMinutes(15);
}
