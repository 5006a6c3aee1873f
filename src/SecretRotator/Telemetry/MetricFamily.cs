namespace SecretRotator.Telemetry;

/// <summary>Prometheus metric types we export.</summary>
public enum MetricType { Counter, Gauge, Histogram }

/// <summary>One exposition line: a sample name (family name, or family name plus _bucket/_sum/_count), labels, value.</summary>
public sealed record MetricSample(string Name, IReadOnlyList<KeyValuePair<string, string>> Labels, double Value)
{
    public string? Label(string name) => Labels.FirstOrDefault(l => l.Key == name).Value;
}

/// <summary>One metric family as Prometheus sees it: its exposition name, type, help text and samples.</summary>
public sealed record MetricFamily(string Name, MetricType Type, string Help, IReadOnlyList<MetricSample> Samples)
{
    /// <summary>The same family keeping only the samples that match.</summary>
    public MetricFamily Where(Func<MetricSample, bool> keep) => this with { Samples = Samples.Where(keep).ToList() };
}
