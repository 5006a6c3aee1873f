using SecretRotator.Configuration;
using SecretRotator.Registries;

namespace SecretRotator.Tests.Fakes.Azure;

/// <summary>Environment variables for one test, so tests never touch the process environment.</summary>
public sealed class TestEnvironment : IEnvironmentVariables
{
    public Dictionary<string, string> Values { get; } = new(StringComparer.Ordinal);

    public string? this[string name]
    {
        set { if (value is null) Values.Remove(name); else Values[name] = value; }
    }

    public string? Get(string name) => Values.GetValueOrDefault(name);
}

/// <summary>A plain IHttpClientFactory: a new client per call, as the default factory hands out.</summary>
public sealed class TestHttpClientFactory : IHttpClientFactory
{
    public HttpClient CreateClient(string name) => new();
}
