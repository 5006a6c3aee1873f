namespace SecretRotator.Configuration;

/// <summary>
/// Reads process environment variables. An interface because the cloud providers read standard variables
/// (AZURE_*, GOOGLE_APPLICATION_CREDENTIALS) and tests must not mutate the process-global environment.
/// </summary>
public interface IEnvironmentVariables
{
    string? Get(string name);
}

public sealed class ProcessEnvironmentVariables : IEnvironmentVariables
{
    public string? Get(string name) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } value ? value : null;
}
