using System.Globalization;
using YamlDotNet.RepresentationModel;

namespace SecretRotator.Configuration;

/// <summary>
/// A YAML mapping being read: typed getters that report errors with file, line and field path,
/// and that remember which keys were read so unknown keys can be reported afterwards.
/// </summary>
public sealed class ConfigMap
{
    private readonly YamlMappingNode _node;
    private readonly HashSet<string> _consumed = new(StringComparer.Ordinal);

    public ConfigMap(YamlMappingNode node, string path, ConfigErrors errors)
    {
        _node = node;
        Path = path;
        Errors = errors;
    }

    public string Path { get; }
    public ConfigErrors Errors { get; }
    public SourceLocation Location => new(Errors.File, Line(_node), Column(_node), Path);

    public string Child(string key) => Path.Length == 0 ? key : $"{Path}.{key}";

    public bool Has(string key) => Find(key) is not null;

    /// <summary>The mapping's plain string keys, in file order.</summary>
    public IEnumerable<string> Keys => _node.Children.Keys.OfType<YamlScalarNode>().Select(k => k.Value).OfType<string>();

    /// <summary>Whether the key's value is written as a source, <c>{env: VAR}</c>, <c>{file: PATH}</c> or <c>{secret: ...}</c>.</summary>
    public bool IsValueSource(string key) =>
        Find(key) is YamlMappingNode { Children.Count: 1 } map && map.Children.Keys.Single() is YamlScalarNode { Value: "env" or "file" or "secret" };

    /// <summary>The node for a key, marked as read.</summary>
    public YamlNode? Node(string key)
    {
        _consumed.Add(key);
        ConfigKeyRecorder.Note(Path, key);
        return Find(key);
    }

    public void Error(string key, string message)
    {
        var node = Find(key);
        // A missing key is reported at its mapping's position, but under the key's own path like every other error.
        if (node is null) ErrorAt(_node, Child(key), message);
        else ErrorAt(node, Child(key), message);
    }

    public void ErrorAt(YamlNode node, string path, string message) =>
        Errors.Add(Line(node), Column(node), path, message);

    /// <summary>A located problem that does not make the config unusable; see <see cref="ConfigErrors.Warnings"/>.</summary>
    public void Warn(string key, string message) => WarnAt(Find(key) ?? _node, Child(key), message);

    public void WarnAt(YamlNode node, string path, string message) =>
        Errors.Warn(Line(node), Column(node), path, message);

    public string? GetString(string key, bool required = false)
    {
        var node = Node(key);
        if (node is null)
        {
            if (required) ErrorAt(_node, Child(key), "is required");
            return null;
        }
        if (node is YamlScalarNode { Value: { } value } && !IsNull(node))
        {
            if (value.Length > 4096) { ErrorAt(node, Child(key), "is longer than 4096 characters"); return null; }
            return value;
        }
        ErrorAt(node, Child(key), IsNull(node) ? "must not be empty" : "must be a string");
        return null;
    }

    public bool GetBool(string key, bool defaultValue)
    {
        var node = Node(key);
        if (node is null) return defaultValue;
        if (node is YamlScalarNode { Value: "true" or "True" or "TRUE" }) return true;
        if (node is YamlScalarNode { Value: "false" or "False" or "FALSE" }) return false;
        ErrorAt(node, Child(key), "must be true or false");
        return defaultValue;
    }

    public int GetInt(string key, int defaultValue, int min, int max)
    {
        var node = Node(key);
        if (node is null) return defaultValue;
        // .NET number parsing ignores trailing NUL characters; requiring a final digit keeps "4\0" out.
        if (node is YamlScalarNode { Value: [.., >= '0' and <= '9'] v } && int.TryParse(v, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var i))
        {
            if (i >= min && i <= max) return i;
            ErrorAt(node, Child(key), $"must be between {min} and {max}");
            return defaultValue;
        }
        ErrorAt(node, Child(key), "must be an integer");
        return defaultValue;
    }

    /// <summary>A decimal number such as 20 or 0.5 (no exponent, no NaN or infinity).</summary>
    public double GetNumber(string key, double defaultValue, double min, double max)
    {
        var node = Node(key);
        if (node is null) return defaultValue;
        if (node is YamlScalarNode { Value: [.., >= '0' and <= '9'] v }
            && double.TryParse(v, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var d))
        {
            if (d >= min && d <= max) return d;
            ErrorAt(node, Child(key), $"must be between {min.ToString(CultureInfo.InvariantCulture)} and {max.ToString(CultureInfo.InvariantCulture)}");
            return defaultValue;
        }
        ErrorAt(node, Child(key), "must be a number");
        return defaultValue;
    }

    /// <summary>Durations as Go/Kubernetes write them: 90s, 30m, 1h, 1h30m, 2d.</summary>
    public TimeSpan GetDuration(string key, TimeSpan defaultValue, TimeSpan max)
    {
        var node = Node(key);
        if (node is null) return defaultValue;
        if (node is YamlScalarNode { Value: { } v } && Duration.TryParse(v, out var d))
        {
            if (d <= max) return d;
            ErrorAt(node, Child(key), $"must be at most {Duration.Format(max)}");
            return defaultValue;
        }
        ErrorAt(node, Child(key), "must be a duration such as 30s, 15m, 1h or 1h30m");
        return defaultValue;
    }

    /// <summary>A list of strings; a single scalar is accepted as a one-item list only when <paramref name="allowScalar"/>.</summary>
    public IReadOnlyList<string> GetStringList(string key, bool required = false, bool allowScalar = false)
    {
        var node = Node(key);
        if (node is null || IsNull(node))
        {
            if (required) ErrorAt(node ?? _node, Child(key), "is required");
            return [];
        }
        if (allowScalar && node is YamlScalarNode { Value: { } single }) return [single];
        if (node is not YamlSequenceNode seq)
        {
            ErrorAt(node, Child(key), "must be a list");
            return [];
        }
        var items = new List<string>(seq.Children.Count);
        for (var i = 0; i < seq.Children.Count; i++)
        {
            if (seq.Children[i] is YamlScalarNode { Value: { Length: > 0 and <= 4096 } s } && !IsNull(seq.Children[i])) items.Add(s);
            else ErrorAt(seq.Children[i], $"{Child(key)}[{i}]", "must be a non-empty string of at most 4096 characters");
        }
        return items;
    }

    public ConfigMap? GetMap(string key, bool required = false)
    {
        var node = Node(key);
        if (node is null || IsNull(node))
        {
            if (required) ErrorAt(node ?? _node, Child(key), "is required");
            return null;
        }
        if (node is YamlMappingNode map) return new ConfigMap(map, Child(key), Errors);
        ErrorAt(node, Child(key), "must be a mapping");
        return null;
    }

    /// <summary>
    /// A value that is a plain string (only if <paramref name="allowLiteral"/>), or one of
    /// <c>{env: VAR}</c>, <c>{file: PATH}</c>, <c>{secret: {namespace, name, key}}</c>.
    /// Env vars and files are checked to exist now, so a broken deployment fails at start-up.
    /// </summary>
    public ValueSource? GetValueSource(string key, bool allowLiteral, bool required = false)
    {
        var node = Node(key);
        var path = Child(key);
        if (node is null || IsNull(node))
        {
            if (required) ErrorAt(node ?? _node, path, "is required");
            return null;
        }
        if (node is YamlScalarNode { Value: { } literal })
        {
            if (allowLiteral) return new ValueSource.Literal(literal);
            ErrorAt(node, path, "must not be a literal; use {env: VAR}, {file: PATH} or {secret: {namespace, name, key}}");
            return null;
        }
        if (node is not YamlMappingNode map)
        {
            ErrorAt(node, path, "must be a string or one of {env: VAR}, {file: PATH}, {secret: {namespace, name, key}}");
            return null;
        }
        var source = new ConfigMap(map, path, Errors);
        var kinds = map.Children.Keys.OfType<YamlScalarNode>().Select(k => k.Value).ToList();
        if (kinds.Count != 1)
        {
            ErrorAt(node, path, "must have exactly one of env, file, secret");
            return null;
        }
        ValueSource? result = null;
        switch (kinds[0])
        {
            case "env":
                var variable = source.GetString("env", required: true);
                if (variable is null) break;
                if (Environment.GetEnvironmentVariable(variable) is null)
                    source.Error("env", $"environment variable '{variable}' is not set");
                else result = new ValueSource.Env(variable);
                break;
            case "file":
                var file = source.GetExistingFile("file", required: true);
                if (file is not null) result = new ValueSource.File(file);
                break;
            case "secret":
                var secret = source.GetMap("secret", required: true);
                if (secret is null) break;
                var ns = secret.GetString("namespace", required: true);
                var name = secret.GetString("name", required: true);
                var secretKey = secret.GetString("key", required: true);
                secret.RejectUnknownKeys();
                if (ns is not null && name is not null && secretKey is not null) result = new ValueSource.SecretKey(ns, name, secretKey);
                break;
        }
        source.RejectUnknownKeys();
        return result;
    }

    /// <summary>
    /// A path to a file that must exist now. Relative paths are relative to the config file, not to wherever the
    /// tool was started. Returns the full path, or null after reporting the problem.
    /// </summary>
    public string? GetExistingFile(string key, bool required = false)
    {
        var file = GetString(key, required);
        if (file is null) return null;
        // Path.GetFullPath throws on these; YAML escapes ("\0") can put them in a value.
        if (file.Length == 0 || file.AsSpan().IndexOfAny(System.IO.Path.GetInvalidPathChars()) >= 0)
        {
            Error(key, "must be a file path");
            return null;
        }
        file = System.IO.Path.GetFullPath(file, System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(Errors.File)) ?? ".");
        if (System.IO.File.Exists(file)) return file;
        Error(key, $"file '{file}' does not exist");
        return null;
    }

    /// <summary>Reports every key that no getter asked for (typos such as 'namepsaces').</summary>
    public void RejectUnknownKeys()
    {
        foreach (var (k, _) in _node.Children)
        {
            if (k is YamlScalarNode { Value: { } name } && _consumed.Contains(name)) continue;
            var shown = k is YamlScalarNode { Value: { } n } ? n : k.ToString();
            ErrorAt(k, Child(shown), "unknown field");
        }
    }

    private YamlNode? Find(string key)
    {
        foreach (var (k, v) in _node.Children)
            if (k is YamlScalarNode { Value: { } name } && name == key) return v;
        return null;
    }

    public static bool IsNull(YamlNode node) =>
        node is YamlScalarNode { Style: YamlDotNet.Core.ScalarStyle.Plain, Value: null or "" or "~" or "null" or "Null" or "NULL" };

    private static int Line(YamlNode node) => (int)Math.Min(node.Start.Line, int.MaxValue);
    private static int Column(YamlNode node) => (int)Math.Min(node.Start.Column, int.MaxValue);
}
