using System.Diagnostics.Metrics;

namespace SecretRotator.Telemetry;

/// <summary>
/// Owns the "SecretRotator" meter and every instrument. The names below become the Prometheus names in
/// DESIGN.md (OpenTelemetry's Prometheus exporter adds the unit and _total suffixes).
/// Label cardinality is bounded: namespace appears only on failures.
/// </summary>
public sealed class RotatorMetrics : IDisposable
{
    public const string MeterName = "SecretRotator";

    private readonly Meter _meter;
    private readonly Counter<long> _writes;
    private readonly Counter<long> _failures;
    private readonly Counter<long> _tokenRequests;
    private readonly Histogram<double> _runDuration;
    private readonly Dictionary<string, double> _expiry = new(StringComparer.Ordinal);
    private readonly Dictionary<string, double> _lastSuccess = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    public RotatorMetrics(IMeterFactory meterFactory)
    {
        _meter = meterFactory.Create(MeterName);
        _writes = _meter.CreateCounter<long>("secret_rotator_secret_writes", description: "Secret write outcomes per target secret (created, updated, unchanged, failed, foreign).");
        _failures = _meter.CreateCounter<long>("secret_rotator_secret_failures", description: "Secret targets that failed, by namespace and reason.");
        _tokenRequests = _meter.CreateCounter<long>("secret_rotator_token_requests", description: "Registry credential requests by outcome (success, failure).");
        _runDuration = _meter.CreateHistogram<double>("secret_rotator_run_duration", unit: "s", description: "Duration of one rotation pass.");
        _meter.CreateObservableGauge("secret_rotator_token_expiry_timestamp_seconds", () => Observe(_expiry), description: "Unix time at which the registry's current token expires.");
        _meter.CreateObservableGauge("secret_rotator_last_success_timestamp_seconds", () => Observe(_lastSuccess), description: "Unix time of the last run in which the registry's credential was fetched and written without failure.");
    }

    public void SecretWrite(string secret, string outcome) =>
        _writes.Add(1, new KeyValuePair<string, object?>("secret", secret), new KeyValuePair<string, object?>("outcome", outcome));

    public void SecretFailure(string secret, string @namespace, string reason) =>
        _failures.Add(1, new("secret", secret), new("namespace", @namespace), new("reason", reason));

    public void TokenRequest(string registry, string outcome) =>
        _tokenRequests.Add(1, new KeyValuePair<string, object?>("registry", registry), new KeyValuePair<string, object?>("outcome", outcome));

    public void TokenExpiry(string registry, DateTimeOffset expiresAt)
    {
        lock (_gate) _expiry[registry] = expiresAt.ToUnixTimeMilliseconds() / 1000.0;
    }

    public void LastSuccess(string registry, DateTimeOffset at)
    {
        lock (_gate) _lastSuccess[registry] = at.ToUnixTimeMilliseconds() / 1000.0;
    }

    public void RunDuration(TimeSpan duration) => _runDuration.Record(duration.TotalSeconds);

    private List<Measurement<double>> Observe(Dictionary<string, double> values)
    {
        lock (_gate)
            return values.Select(kv => new Measurement<double>(kv.Value, new KeyValuePair<string, object?>("registry", kv.Key))).ToList();
    }

    public void Dispose() => _meter.Dispose();
}
