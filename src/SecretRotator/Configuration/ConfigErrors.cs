namespace SecretRotator.Configuration;

/// <summary>One configuration problem, located in the file the user wrote.</summary>
public sealed record ConfigError(string File, int Line, int Column, string Path, string Message)
{
    public override string ToString() => $"{File}:{Line}:{Column}: {Path}: {Message}";
}

/// <summary>Collects every problem in a config so the user sees them all at once.</summary>
public sealed class ConfigErrors(string file)
{
    private readonly List<ConfigError> _errors = [];

    public string File { get; } = file;
    public IReadOnlyList<ConfigError> Items => _errors;
    public bool Any => _errors.Count > 0;

    public void Add(int line, int column, string path, string message) =>
        _errors.Add(new ConfigError(File, line, column, path, message));
}

/// <summary>Thrown when a config file cannot be used; carries every error found.</summary>
public sealed class ConfigException(IReadOnlyList<ConfigError> errors)
    : Exception(string.Join(Environment.NewLine, errors))
{
    public IReadOnlyList<ConfigError> Errors { get; } = errors;
}
