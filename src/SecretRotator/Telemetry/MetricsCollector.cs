using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Globalization;

namespace SecretRotator.Telemetry;

/// <summary>
/// Aggregates the "SecretRotator" instruments created by this container's <see cref="IMeterFactory"/> (cumulative
/// counters, histograms, gauges observed on demand) and turns them into Prometheus metric families. Listening only
/// to our own factory's meters keeps two containers in one process (tests, a daemon and a run) from mixing series.
/// It must exist before the first measurement: DI resolves it before <see cref="RotatorMetrics"/>.
/// </summary>
public sealed class MetricsCollector : IDisposable
{
    private readonly MeterListener _listener;
    private readonly ConcurrentDictionary<Instrument, byte> _instruments = new();
    private readonly ConcurrentDictionary<(Instrument, string), CounterState> _counters = new();
    private readonly ConcurrentDictionary<(Instrument, string), HistogramState> _histograms = new();
    private readonly Lock _collectGate = new();
    private List<(Instrument Instrument, Labels Labels, double Value)>? _observed;

    public MetricsCollector(IMeterFactory meterFactory)
    {
        _listener = new MeterListener
        {
            InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name != RotatorMetrics.MeterName || !ReferenceEquals(instrument.Meter.Scope, meterFactory)) return;
                _instruments[instrument] = 0;
                listener.EnableMeasurementEvents(instrument);
            },
            MeasurementsCompleted = (instrument, _) => _instruments.TryRemove(instrument, out byte _),
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => OnMeasurement(instrument, value, tags));
        _listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) => OnMeasurement(instrument, value, tags));
        _listener.Start();
    }

    /// <summary>The current value of every series, ordered by family name then labels.</summary>
    public IReadOnlyList<MetricFamily> Collect()
    {
        List<(Instrument Instrument, Labels Labels, double Value)> observed;
        lock (_collectGate)
        {
            _observed = [];
            _listener.RecordObservableInstruments(); // gauge callbacks run synchronously on this thread
            observed = _observed;
            _observed = null;
        }

        var families = new List<MetricFamily>();
        foreach (var group in _instruments.Keys.GroupBy(ExpositionName).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var instruments = group.ToHashSet();
            var first = group.First();
            IEnumerable<(Labels Labels, IEnumerable<MetricSample> Samples)> samples = first switch
            {
                Counter<long> => _counters.Where(c => instruments.Contains(c.Key.Item1))
                    .Select(c => (c.Value.Labels, Samples: (IEnumerable<MetricSample>)[new MetricSample(group.Key, c.Value.Labels.Pairs, c.Value.Value)])),
                Histogram<double> => _histograms.Where(h => instruments.Contains(h.Key.Item1))
                    .Select(h => (h.Value.Labels, Samples: (IEnumerable<MetricSample>)h.Value.ToSamples(group.Key))),
                _ => observed.Where(o => instruments.Contains(o.Instrument))
                    .Select(o => (o.Labels, Samples: (IEnumerable<MetricSample>)[new MetricSample(group.Key, o.Labels.Pairs, o.Value)])),
            };
            var ordered = samples.OrderBy(s => s.Labels.Key, StringComparer.Ordinal).SelectMany(s => s.Samples).ToList();
            if (ordered.Count > 0) families.Add(new MetricFamily(group.Key, TypeOf(first), first.Description ?? "", ordered));
        }
        return families;
    }

    private void OnMeasurement<T>(Instrument instrument, T value, ReadOnlySpan<KeyValuePair<string, object?>> tags) where T : struct
    {
        var labels = Labels.From(tags);
        switch (instrument)
        {
            case Counter<long>:
                var counter = _counters.GetOrAdd((instrument, labels.Key), _ => new CounterState(labels));
                Interlocked.Add(ref counter.Value, Convert.ToInt64(value, CultureInfo.InvariantCulture));
                break;
            case Histogram<double> histogram:
                _histograms.GetOrAdd((instrument, labels.Key), _ => new HistogramState(labels, histogram.Advice?.HistogramBucketBoundaries ?? RotatorMetrics.RunDurationBuckets))
                    .Record(Convert.ToDouble(value, CultureInfo.InvariantCulture));
                break;
            default:
                // Observable gauges report only inside Collect's RecordObservableInstruments call.
                _observed?.Add((instrument, labels, Convert.ToDouble(value, CultureInfo.InvariantCulture)));
                break;
        }
    }

    private static string ExpositionName(Instrument instrument) =>
        instrument is Counter<long> && !instrument.Name.EndsWith("_total", StringComparison.Ordinal) ? instrument.Name + "_total" : instrument.Name;

    private static MetricType TypeOf(Instrument instrument) => instrument switch
    {
        Counter<long> => MetricType.Counter,
        Histogram<double> => MetricType.Histogram,
        _ => MetricType.Gauge,
    };

    public void Dispose() => _listener.Dispose();

    /// <summary>A label set sorted by name, with a string key for dictionary lookups.</summary>
    private sealed record Labels(IReadOnlyList<KeyValuePair<string, string>> Pairs, string Key)
    {
        public static Labels From(ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            var pairs = new List<KeyValuePair<string, string>>(tags.Length);
            foreach (var tag in tags) pairs.Add(new(tag.Key, Convert.ToString(tag.Value, CultureInfo.InvariantCulture) ?? ""));
            pairs.Sort((a, b) => string.CompareOrdinal(a.Key, b.Key));
            return new Labels(pairs, string.Join('\u0001', pairs.Select(p => p.Key + "\u0002" + p.Value)));
        }

        public IReadOnlyList<KeyValuePair<string, string>> With(string name, string value) => [.. Pairs, new(name, value)];
    }

    private sealed class CounterState(Labels labels)
    {
        public Labels Labels { get; } = labels;
        public long Value;
    }

    private sealed class HistogramState(Labels labels, IReadOnlyList<double> bounds)
    {
        private readonly long[] _counts = new long[bounds.Count + 1];
        private readonly Lock _gate = new();
        private double _sum;
        private long _count;

        public Labels Labels { get; } = labels;

        public void Record(double value)
        {
            lock (_gate)
            {
                var bucket = 0;
                while (bucket < bounds.Count && value > bounds[bucket]) bucket++;
                _counts[bucket]++;
                _sum += value;
                _count++;
            }
        }

        public List<MetricSample> ToSamples(string name)
        {
            lock (_gate)
            {
                var samples = new List<MetricSample>(bounds.Count + 3);
                long cumulative = 0;
                for (var i = 0; i <= bounds.Count; i++)
                {
                    cumulative += _counts[i];
                    var le = i < bounds.Count ? PrometheusText.FormatValue(bounds[i]) : "+Inf";
                    samples.Add(new MetricSample(name + "_bucket", Labels.With("le", le), cumulative));
                }
                samples.Add(new MetricSample(name + "_sum", Labels.Pairs, _sum));
                samples.Add(new MetricSample(name + "_count", Labels.Pairs, _count));
                return samples;
            }
        }
    }
}
