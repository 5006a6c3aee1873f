namespace SecretRotator.Configuration;

/// <summary>One configuration problem, located in the file the user wrote.</summary>
public sealed record ConfigError(string File, int Line, int Column, string Path, string Message)
{
    /// <summary>The path shown for a problem with the document as a whole (it has no field).</summary>
    public const string TopLevel = "(top level)";

    /// <summary>
    /// <c>FILE:LINE:COLUMN: PATH: MESSAGE</c>; a problem with the file itself (unreadable, too large) has no
    /// position and reads <c>FILE: MESSAGE</c>.
    /// </summary>
    public override string ToString() => Line == 0
        ? $"{File}: {Message}"
        : $"{File}:{Line}:{Column}: {(Path.Length == 0 ? TopLevel : Path)}: {Message}";
}

/// <summary>
/// Collects every problem in a config so the user sees them all at once. Warnings are located the same way but
/// never make the config unusable (validate exits 0 with warnings only).
/// </summary>
public sealed class ConfigErrors(string file)
{
    private readonly List<ConfigError> _errors = [];
    private readonly List<ConfigError> _warnings = [];

    public string File { get; } = file;
    public IReadOnlyList<ConfigError> Items => _errors;
    public IReadOnlyList<ConfigError> Warnings => _warnings;
    public bool Any => _errors.Count > 0;

    public void Add(int line, int column, string path, string message) =>
        _errors.Add(new ConfigError(File, line, column, path, message));

    public void Warn(int line, int column, string path, string message) =>
        _warnings.Add(new ConfigError(File, line, column, path, message));
}

/// <summary>Thrown when a config file cannot be used; carries every error found (and the warnings, to show them too).</summary>
public sealed class ConfigException(IReadOnlyList<ConfigError> errors, IReadOnlyList<ConfigError>? warnings = null)
    : Exception(string.Join(Environment.NewLine, errors))
{
    public IReadOnlyList<ConfigError> Errors { get; } = errors;
    public IReadOnlyList<ConfigError> Warnings { get; } = warnings ?? [];
}
