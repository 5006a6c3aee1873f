using System.Collections.Concurrent;

namespace SecretRotator.Configuration;

/// <summary>
/// Records which keys the loader asks for, at which path, while an action runs on this async flow. The loader asks
/// for every key it knows whether or not the file has it, so one parse of a config that touches every registry type
/// yields the loader's whole vocabulary: the chart's config JSON Schema is checked against it (ConfigSchemaSyncTests).
/// </summary>
public static class ConfigKeyRecorder
{
    private static readonly AsyncLocal<ConcurrentBag<(string Path, string Key)>?> Current = new();

    /// <summary>Runs <paramref name="action"/> and returns every (mapping path, key) the loader read meanwhile.</summary>
    public static IReadOnlyCollection<(string Path, string Key)> Record(Action action)
    {
        ArgumentNullException.ThrowIfNull(action);
        var keys = new ConcurrentBag<(string Path, string Key)>();
        var previous = Current.Value;
        Current.Value = keys;
        try
        {
            action();
        }
        finally
        {
            Current.Value = previous;
        }
        return keys;
    }

    internal static void Note(string path, string key) => Current.Value?.Add((path, key));
}
