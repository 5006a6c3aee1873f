using System.Diagnostics.Metrics;
using SecretRotator.Kubernetes.Watching;

namespace SecretRotator.Telemetry;

/// <summary>
/// Owns the "SecretRotator" meter and every instrument. Instrument names follow the OpenTelemetry→Prometheus
/// convention (counters without "_total", unit "s" already in the name), so our own exposition
/// (<see cref="PrometheusText"/>) and an OTel Collector's Prometheus exporter both produce the names in
/// docs/monitoring.md. Label cardinality is bounded: outcomes are closed sets (checked here), the secret and
/// registry labels come from the config file, and namespace appears only on failures.
/// </summary>
public sealed class RotatorMetrics : IDisposable, IWatchMetrics
{
    public const string MeterName = "SecretRotator";

    /// <summary>Run durations range from sub-second (nothing stale) to the 5-minute default run timeout.</summary>
    internal static readonly double[] RunDurationBuckets = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600];

    /// <summary>An admission answered from memory takes about a millisecond; one create takes an API round trip; the
    /// API server gives up on the webhook after its timeoutSeconds (at most 5).</summary>
    internal static readonly double[] AdmissionDurationBuckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

    /// <summary>A watched new namespace gets its secret in well under a second when all is well; a slow credential fetch
    /// or a backlog after a burst of namespaces takes seconds to minutes (the alert fires at a p99 over 30 s).</summary>
    internal static readonly double[] NamespaceReadyBuckets = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15, 30, 60, 120, 300];

    private readonly Meter _meter;
    private readonly Counter<long> _writes;
    private readonly Counter<long> _failures;
    private readonly Counter<long> _tokenRequests;
    private readonly Histogram<double> _runDuration;
    private readonly Dictionary<string, double> _expiry = new(StringComparer.Ordinal);
    private readonly Dictionary<string, double> _lastSuccess = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();
    private readonly Counter<long> _watchRestarts;
    private readonly Counter<long> _watchEvents;
    private readonly Histogram<double> _admissionDuration;
    private readonly Histogram<double> _namespaceReady;
    private Func<long>? _queueDepth;
    private Func<bool>? _leader;
    private Func<DateTimeOffset>? _leaseObserved;

    public RotatorMetrics(IMeterFactory meterFactory)
    {
        _meter = meterFactory.Create(MeterName);
        _writes = _meter.CreateCounter<long>(MetricNames.SecretWrites, description: "Secret write outcomes per target secret (created, updated, unchanged, failed, foreign).");
        _failures = _meter.CreateCounter<long>(MetricNames.SecretFailures, description: "Secret targets that failed, by namespace and reason.");
        _tokenRequests = _meter.CreateCounter<long>(MetricNames.TokenRequests, description: "Registry credential requests by outcome (success, failure).");
        _runDuration = _meter.CreateHistogram(MetricNames.RunDuration, unit: "s", description: "Duration of one rotation pass.",
            tags: null, advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = RunDurationBuckets });
        _meter.CreateObservableGauge(MetricNames.TokenExpiry, () => Observe(_expiry), unit: "s", description: "Unix time at which the registry's current token expires.");
        _meter.CreateObservableGauge(MetricNames.LastSuccess, () => Observe(_lastSuccess), unit: "s", description: "Unix time of the last pass that left every secret using the registry with a valid credential for it (fetched or carried over), without failure.");
        // Daemon only: nothing is observed until the daemon attaches its queue and elector, so `run` exports none of these.
        _watchRestarts = _meter.CreateCounter<long>(MetricNames.WatchRestarts, description: "Watch streams restarted, by resource and reason (closed, expired, error, disconnected, timeout, http_NNN, empty).");
        _watchEvents = _meter.CreateCounter<long>(MetricNames.WatchEvents, description: "Watch events received, by resource and type (added, modified, deleted).");
        _meter.CreateObservableGauge(MetricNames.QueueDepth, () => _queueDepth is { } depth ? [new Measurement<long>(depth())] : Array.Empty<Measurement<long>>(),
            description: "(secret, namespace) pairs waiting to be reconciled.");
        _meter.CreateObservableGauge(MetricNames.Leader, () => _leader is { } leader ? [new Measurement<long>(leader() ? 1 : 0)] : Array.Empty<Measurement<long>>(),
            description: "1 while this daemon replica holds the leader lease and writes, else 0.");
        _meter.CreateObservableGauge(MetricNames.LeaseObserved,
            () => _leaseObserved is { } at ? [new Measurement<double>(at().ToUnixTimeMilliseconds() / 1000.0)] : Array.Empty<Measurement<double>>(), unit: "s",
            description: "Unix time this replica last heard from the API server about the leader Lease (read, acquired or renewed); from the election's start. Only with leader election.");
        _admissionDuration = _meter.CreateHistogram(MetricNames.AdmissionDuration, unit: "s", description: "Time to answer one AdmissionReview of the webhook, by outcome.",
            tags: null, advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = AdmissionDurationBuckets });
        _namespaceReady = _meter.CreateHistogram(MetricNames.NamespaceReady, unit: "s",
            description: "Daemon: time from a new namespace's creationTimestamp to the managed secret created in it, once per (namespace, secret), by secret.",
            tags: null, advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = NamespaceReadyBuckets });
    }

    /// <param name="outcome">One of <see cref="WriteOutcomes"/>.</param>
    public void SecretWrite(string secret, string outcome, long count = 1) =>
        _writes.Add(count, new KeyValuePair<string, object?>("secret", secret), new KeyValuePair<string, object?>("outcome", WriteOutcomes.Check(outcome)));

    /// <param name="reason">A short machine reason (e.g. a RegistryException reason), never free text.</param>
    public void SecretFailure(string secret, string @namespace, string reason) =>
        _failures.Add(1, new("secret", secret), new("namespace", @namespace), new("reason", reason));

    /// <param name="outcome">One of <see cref="TokenOutcomes"/>.</param>
    public void TokenRequest(string registry, string outcome) =>
        _tokenRequests.Add(1, new KeyValuePair<string, object?>("registry", registry), new KeyValuePair<string, object?>("outcome", TokenOutcomes.Check(outcome)));

    public void TokenExpiry(string registry, DateTimeOffset expiresAt)
    {
        lock (_gate) _expiry[registry] = expiresAt.ToUnixTimeMilliseconds() / 1000.0;
    }

    /// <summary>Call only for registries whose credential was fetched and written without failure in this run.</summary>
    public void LastSuccess(string registry, DateTimeOffset at)
    {
        lock (_gate) _lastSuccess[registry] = at.ToUnixTimeMilliseconds() / 1000.0;
    }

    public void RunDuration(TimeSpan duration) => _runDuration.Record(duration.TotalSeconds);

    /// <param name="reason">A short machine word, never free text.</param>
    public void WatchRestart(string resource, string reason) =>
        _watchRestarts.Add(1, new KeyValuePair<string, object?>("resource", resource), new KeyValuePair<string, object?>("reason", reason));

    public void WatchEvent(string resource, string type) =>
        _watchEvents.Add(1, new KeyValuePair<string, object?>("resource", resource), new KeyValuePair<string, object?>("type", type));

    /// <param name="outcome">One of <see cref="AdmissionOutcomes"/>.</param>
    public void AdmissionReview(string outcome, TimeSpan duration) =>
        _admissionDuration.Record(duration.TotalSeconds, new KeyValuePair<string, object?>("outcome", AdmissionOutcomes.Check(outcome)));

    /// <param name="secret">The target's name (from the config): the namespace is never a label.</param>
    public void NamespaceReady(string secret, TimeSpan sinceCreation) =>
        _namespaceReady.Record(sinceCreation.TotalSeconds, new KeyValuePair<string, object?>("secret", secret));

    /// <summary>Daemon: where the queue depth and leadership gauges read from.</summary>
    public void AttachDaemon(Func<long> queueDepth, Func<bool> leader)
    {
        _queueDepth = queueDepth;
        _leader = leader;
    }

    /// <summary>Daemon with leader election: when the Lease was last read or written (a standby that stops advancing cannot take over).</summary>
    public void AttachLeaderElection(Func<DateTimeOffset> leaseObserved) => _leaseObserved = leaseObserved;

    private List<Measurement<double>> Observe(Dictionary<string, double> values)
    {
        lock (_gate)
            return values.Select(kv => new Measurement<double>(kv.Value, new KeyValuePair<string, object?>("registry", kv.Key))).ToList();
    }

    public void Dispose() => _meter.Dispose();
}

/// <summary>Instrument names, and the Prometheus names they are exported as (the contract alerts and dashboards use).</summary>
public static class MetricNames
{
    public const string SecretWrites = "secret_rotator_secret_writes";
    public const string SecretFailures = "secret_rotator_secret_failures";
    public const string TokenRequests = "secret_rotator_token_requests";
    public const string TokenExpiry = "secret_rotator_token_expiry_timestamp_seconds";
    public const string LastSuccess = "secret_rotator_last_success_timestamp_seconds";
    public const string RunDuration = "secret_rotator_run_duration_seconds";
    public const string WatchRestarts = "secret_rotator_watch_restarts";
    public const string WatchEvents = "secret_rotator_watch_events";
    public const string QueueDepth = "secret_rotator_queue_depth";
    public const string Leader = "secret_rotator_leader";
    public const string LeaseObserved = "secret_rotator_leader_election_observed_timestamp_seconds";
    public const string AdmissionDuration = "secret_rotator_admission_duration_seconds";
    public const string NamespaceReady = "secret_rotator_namespace_ready_seconds";

    /// <summary>Every metric family Prometheus sees, by its exposition name.</summary>
    public static readonly IReadOnlyList<string> Exported =
    [
        SecretWrites + "_total", SecretFailures + "_total", TokenRequests + "_total", TokenExpiry, LastSuccess, RunDuration,
    ];

    /// <summary>What the daemon exports in addition to <see cref="Exported"/> (and <see cref="LeaseObserved"/> with leader election).</summary>
    public static readonly IReadOnlyList<string> DaemonExported = [WatchRestarts + "_total", WatchEvents + "_total", QueueDepth, Leader];

    /// <summary>Gauges that describe one registry's state; pushed per registry so a failed run keeps the old values.</summary>
    public static readonly IReadOnlySet<string> PerRegistryGauges = new HashSet<string>(StringComparer.Ordinal) { TokenExpiry, LastSuccess };
}

/// <summary>Closed set of secret write outcomes (bounded label values).</summary>
public static class WriteOutcomes
{
    public const string Created = "created";
    public const string Updated = "updated";
    public const string Unchanged = "unchanged";
    public const string Failed = "failed";
    public const string Foreign = "foreign";

    private static readonly HashSet<string> All = [Created, Updated, Unchanged, Failed, Foreign];

    internal static string Check(string outcome) => All.Contains(outcome)
        ? outcome
        : throw new ArgumentOutOfRangeException(nameof(outcome), outcome, "unknown secret write outcome; use WriteOutcomes");
}

/// <summary>Closed set of token request outcomes (bounded label values).</summary>
public static class TokenOutcomes
{
    public const string Success = "success";
    public const string Failure = "failure";

    internal static string Check(string outcome) => outcome is Success or Failure
        ? outcome
        : throw new ArgumentOutOfRangeException(nameof(outcome), outcome, "unknown token request outcome; use TokenOutcomes");
}
